import ArgumentParser
import Foundation
import Logging
import TrestleCore
import TrestleServer

/// `trestle migrate`: brings the configured store's schema up to date without serving, so a
/// deploy can migrate once before starting many API nodes and workers.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply the store's schema migrations and exit.",
        discussion: "Example: DATABASE_URL=postgres://trestle@db/trestle trestle migrate --config trestle.yaml"
    )

    @Option(help: "The config file.") var config: String = "trestle.yaml"

    func run() async throws {
        let loaded = try ConfigFile.loadForCommand(config)
        var logger = Logger(label: "trestle")
        logger.logLevel = .warning
        print(try await StoreOpening.migrate(loaded.storage, logger: logger))
    }
}
