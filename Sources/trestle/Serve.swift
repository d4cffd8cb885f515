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

    @Option(name: .long, help: "The YAML config file.")
    var config: String = "trestle.yaml"

    @Option(name: .long, help: "HOST:PORT to listen on, overriding server.listen; port 0 picks a free port.")
    var listen: String?

    @Option(name: .long, help: "Directory for all state, overriding data_dir (a relative storage.sqlite moves into it).")
    var dataDir: String?

    @Option(name: .long, help: "Write the bound port to this file once listening (for scripts using port 0).")
    var portFile: String?

    @Option(name: .long, help: ArgumentHelp(
        "Serve on PostgreSQL at the URL in $DATABASE_URL instead of the config's storage ('postgres'; make run DB=postgres).",
        valueName: "postgres"))
    var storage: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    func validate() throws {
        if let listen, ListenAddress(parsing: listen) == nil {
            throw ValidationError("--listen '\(listen)' is not HOST:PORT, e.g. 127.0.0.1:8080")
        }
        if let storage, storage != "postgres" {
            throw ValidationError("--storage '\(storage)' is not 'postgres'; leave it out to use the config's storage")
        }
    }

    func run() async throws {
        var fileConfig = try ConfigFile.loadForCommand(config)
        if storage != nil {
            guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty else {
                FileHandle.standardError.write(Data("--storage postgres reads the URL from DATABASE_URL, which is not set\n".utf8))
                throw ExitCode(2)
            }
            fileConfig.storage.postgres = PostgresStorageConfig(url: Secret(url))
        }
        MemoryTuning.keepFreedMemoryForReuse()

        var logger = Logger(label: "trestle")
        logger.logLevel = logLevel
        let portFile = portFile
        let options = ServeOptions(
            listen: listen.flatMap(ListenAddress.init(parsing:)),
            dataDir: dataDir,
            onListening: { port in
                if let portFile {
                    try? Data("\(port)\n".utf8).write(to: URL(fileURLWithPath: portFile), options: .atomic)
                }
            },
            configFile: config
        )
        try await runServer(config: fileConfig, options: options, logger: logger)
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
