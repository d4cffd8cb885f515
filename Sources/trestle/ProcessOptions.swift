import ArgumentParser
import Foundation
import Logging
import TrestleCore
import TrestleServer

/// The options `serve` and `worker` take alike.
struct ProcessOptions: ParsableArguments {
    @Option(name: .long, help: "The YAML config file.")
    var config: String = "trestle.yaml"

    @Option(name: .long, help: "HOST:PORT to listen on (a worker's /healthz), overriding server.listen; port 0 picks a free port.")
    var listen: String?

    @Option(name: .long, help: "Directory for all state, overriding data_dir (a relative storage.sqlite moves into it).")
    var dataDir: String?

    @Option(name: .long, help: "Write the bound port to this file once listening (for scripts using port 0).")
    var portFile: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    @Option(name: .long, help: "Log format: text (lines for people) or json (one JSON object a line, for log pipelines).")
    var logFormat: LogFormat = .text

    enum LogFormat: String, ExpressibleByArgument, CaseIterable {
        case text
        case json
    }

    func validate() throws {
        if let listen, ListenAddress(parsing: listen) == nil {
            throw ValidationError("--listen '\(listen)' is not HOST:PORT, e.g. 127.0.0.1:8080")
        }
    }

    /// Every logger of the process, Hummingbird's and postgres-nio's included; once (swift-log
    /// allows one bootstrap a process).
    private static let jsonLogging: Void = LoggingSystem.bootstrap { label in JSONLogHandler(label: label) }

    func logger(label: String) -> Logger {
        if logFormat == .json { _ = Self.jsonLogging }
        var logger = Logger(label: label)
        logger.logLevel = logLevel
        return logger
    }

    /// What the server or worker is told beside its config; the bound port goes to `portFile`.
    var serveOptions: ServeOptions {
        let portFile = portFile
        return ServeOptions(
            listen: listen.flatMap(ListenAddress.init(parsing:)),
            dataDir: dataDir,
            onListening: { port in
                if let portFile {
                    try? Data("\(port)\n".utf8).write(to: URL(fileURLWithPath: portFile), options: .atomic)
                }
            },
            configFile: config
        )
    }
}
