import ArgumentParser
import Foundation
import TrestleCore
import Logging
import TrestleServer
import TrestleStore

/// The config and store a local inspection command reads (the server may be running: SQLite's
/// WAL lets readers in beside it).
struct StoreOptions: ParsableArguments {
    @Option(help: "The config file.") var config: String = "trestle.yaml"
    @Option(help: "Directory for all state, overriding data_dir.") var dataDir: String?

    func openStore() async throws -> (TrestleConfig, any TaskStore) {
        let loaded = try ConfigFile.load(config).overriding(listen: nil, dataDir: dataDir)
        var logger = Logger(label: "trestle")
        logger.logLevel = .warning
        return (loaded, try await StoreOpening.open(loaded.storage, logger: logger))
    }
}

struct Deliveries: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List recent webhook deliveries: event, key, received time and outcome.",
        discussion: "Example: trestle deliveries --config trestle.yaml --limit 20"
    )

    @OptionGroup var options: StoreOptions
    @Option(help: "How many, newest first (1-1000).") var limit: Int = 20

    func validate() throws {
        guard (1...1000).contains(limit) else { throw ValidationError("--limit must be from 1 to 1000") }
    }

    func run() async throws {
        let (_, store) = try await options.openStore()
        let deliveries = try await store.deliveries(limit: limit)
        try await store.close()
        for delivery in deliveries {
            let tasks = delivery.outcome.tasks.map { "\($0.workflow)#\($0.taskID)" }.joined(separator: ",")
            print([String(delivery.id), Self.time(delivery.receivedTime), delivery.eventHeader.isEmpty ? "-" : delivery.eventHeader,
                   delivery.repo, delivery.outcome.state.rawValue, tasks.isEmpty ? "-" : tasks,
                   Self.reason(delivery.outcome, delivery.attempts)]
                .joined(separator: "\t"))
        }
    }

    /// A pending delivery's failed tries come first: they are why it is still pending.
    static func reason(_ outcome: DeliveryOutcome, _ attempts: DeliveryAttempts) -> String {
        guard attempts.failures > 0 else { return outcome.reason }
        return "\(attempts.failures) failed \(attempts.failures == 1 ? "try" : "tries"), next at \(time(attempts.nextTime)):"
            + " \(attempts.lastError ?? "no reason kept")"
    }

    static func time(_ seconds: Int64) -> String {
        ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }
}

struct Explain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show, trigger rule by trigger rule, why a webhook delivery did or did not create a task.",
        discussion: "Example: trestle explain --config trestle.yaml 42"
    )

    @OptionGroup var options: StoreOptions
    @Argument(help: "The delivery id, as `trestle deliveries` lists it.") var delivery: Int64

    func run() async throws {
        let (config, store) = try await options.openStore()
        let found = try await store.delivery(id: delivery)
        try await store.close()
        guard let stored = found else {
            throw ValidationError("no webhook delivery \(delivery) in \(config.storage.sqlitePath); list them with `trestle deliveries`")
        }
        let sentKey = stored.delivery.headers.first { $0.key.lowercased() == "idempotency-key" }.map { " (Idempotency-Key \($0.value))" }
        print("delivery \(stored.id): \(stored.delivery.eventHeader) for repo '\(stored.delivery.repo)', key \(stored.delivery.dedupeKey)"
            + (sentKey ?? ""))
        print("received \(Deliveries.time(stored.delivery.receivedTime)); \(stored.outcome.state.rawValue): \(stored.outcome.reason)")
        for task in stored.outcome.tasks {
            print("  created task \(task.taskID) of workflow '\(task.workflow)'")
        }
        if stored.outcome.decisions.isEmpty && stored.outcome.state != .pending {
            print("  no trigger rule was consulted")
        }
        for decision in stored.outcome.decisions {
            print("  workflow '\(decision.workflow)' trigger #\(decision.trigger + 1): \(decision.verdict.rawValue): \(decision.reason)")
        }
    }
}
