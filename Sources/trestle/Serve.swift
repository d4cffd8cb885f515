import ArgumentParser
import Foundation
import Logging
import TrestleCore
import TrestleServer

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the Trestle server.",
        discussion: """
            Example:
              TRESTLE_TOKEN=secret trestle serve --config samples/trestle.yaml --listen 127.0.0.1:0 --port-file port.txt
            """
    )

    @OptionGroup var process: ProcessOptions

    @Option(name: .long, help: ArgumentHelp(
        "Serve on PostgreSQL at the URL in $DATABASE_URL instead of the config's storage ('postgres'; make run DB=postgres).",
        valueName: "postgres"))
    var storage: String?

    func validate() throws {
        if let storage, storage != "postgres" {
            throw ValidationError("--storage '\(storage)' is not 'postgres'; leave it out to use the config's storage")
        }
    }

    func run() async throws {
        var fileConfig = try ConfigFile.loadForCommand(process.config)
        if storage != nil {
            guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty else {
                FileHandle.standardError.write(Data("--storage postgres reads the URL from DATABASE_URL, which is not set\n".utf8))
                throw ExitCode(2)
            }
            fileConfig.storage.postgres = PostgresStorageConfig(url: Secret(url))
        }
        MemoryTuning.keepFreedMemoryForReuse()

        try await runServer(config: fileConfig, options: process.serveOptions, logger: process.logger(label: "trestle"))
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
