import ArgumentParser
import Foundation
import Logging
import TrestleCore
import TrestleServer

struct Worker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run an executor alone on a PostgreSQL store shared with API nodes and other workers.",
        discussion: """
            It claims tasks created through any node, heartbeats as a runner, and fails the tasks of runners
            whose lease lapsed. GET /healthz on --listen answers while it runs. A SQLite config is refused.
            Example:
              trestle worker --config cluster.yaml --listen 127.0.0.1:0 --port-file worker.port
            """
    )

    @OptionGroup var process: ProcessOptions

    func run() async throws {
        let fileConfig = try ConfigFile.loadForCommand(process.config)
        do {
            try await runWorker(config: fileConfig, options: process.serveOptions, logger: process.logger(label: "trestle.worker"))
        } catch let refusal as WorkerRefusal {
            FileHandle.standardError.write(Data("trestle worker: \(refusal)\n".utf8))
            throw ExitCode(2)
        }
    }
}
