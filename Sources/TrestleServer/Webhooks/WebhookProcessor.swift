import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization
import TrestleCore
import TrestleGit
import TrestleStore

/// Processes committed webhook deliveries after their 2xx: decodes them, matches trigger rules,
/// finds changed paths where a rule filters paths, and creates tasks. On start it first processes
/// whatever a previous process committed and did not finish, so a delivery is never lost.
/// A try that fails for a passing reason (a fetch for changed paths, a store write) leaves the
/// delivery pending, tried again as `DeliveryRetryPolicy` says, and failed for good only once its
/// tries are spent. It runs on a thread of lower priority than request handling (`BackgroundExecutor`).
final class WebhookProcessor: Service, Sendable {
    private let config: TrestleConfig
    private let store: any TaskStore
    private let mirrors: MirrorSet
    private let logger: Logger
    private let now: @Sendable () -> Int64
    private let tasksCreated: @Sendable () -> Void
    private let doorbell: AsyncStream<Void>
    private let ring: AsyncStream<Void>.Continuation
    private let pacing: ProcessorPacing
    private let retry: DeliveryRetryPolicy
    /// Retry times follow the wall clock, not the task clock (which tests may stop).
    private let wallClock: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }
    /// How often deliveries waiting for a retry are looked at.
    static let retryPoll: Duration = .seconds(1)
    /// When ingest last committed a batch (each commit rings the doorbell).
    private let lastIngest = Mutex(ContinuousClock.now)

    init(config: TrestleConfig, store: any TaskStore, mirrors: MirrorSet, logger: Logger,
         now: @escaping @Sendable () -> Int64, pacing: ProcessorPacing = ProcessorPacing(),
         retry: DeliveryRetryPolicy = DeliveryRetryPolicy(), tasksCreated: @escaping @Sendable () -> Void = {}) {
        self.tasksCreated = tasksCreated
        self.retry = retry
        self.pacing = pacing
        self.config = config
        self.store = store
        self.mirrors = mirrors
        self.logger = logger
        self.now = now
        (doorbell, ring) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Tells the processor that deliveries were committed.
    func notify() {
        lastIngest.withLock { $0 = .now }
        ring.yield()
    }

    /// Whether `run` is running: what `/readyz` reports as the processor.
    var isRunning: Bool { running.withLock { $0 } }
    private let running = Mutex(false)

    func run() async throws {
        running.withLock { $0 = true }
        defer { running.withLock { $0 = false } }
        let ring = self.ring
        let background = BackgroundExecutor(name: "trestle.hooks")
        defer { background.stop() }
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.retryPoll)
                ring.yield()
            }
        }
        defer { ticker.cancel() }
        await withGracefulShutdownHandler {
            await withTaskExecutorPreference(background) {
                await processPending()
                for await _ in doorbell {
                    await processPending()
                }
            }
        } onGracefulShutdown: {
            ring.finish()
        }
    }

    /// Processes every pending delivery that is due, oldest first, until none is left; stops early
    /// when the store cannot record a try (the next tick tries again).
    func processPending() async {
        while true {
            let batch: [StoredDelivery]
            do {
                // Small batches: completing them holds the store's one writer, which ingest shares.
                // Claimed for a lease: on a shared store, other nodes plan other deliveries, and a
                // delivery this process dies holding is theirs once the lease has passed.
                let now = wallClock()
                batch = try await store.pendingDeliveries(limit: 16, dueAt: now,
                                                          claimingUntil: now + Int64(config.executor.leaseSeconds))
            } catch {
                logger.error("cannot read pending webhook deliveries", metadata: ["reason": "\(error)"])
                return
            }
            guard !batch.isEmpty else { return }
            let started = ContinuousClock.now
            var completions: [DeliveryCompletion] = []
            var recorded = true
            for delivery in batch {
                switch await plan(delivery) {
                case .complete(let outcome, let tasks):
                    completions.append(DeliveryCompletion(id: delivery.id, outcome: outcome, tasks: tasks))
                case .tryAgain(let reason):
                    recorded = await postpone(delivery, reason: reason) && recorded
                }
            }
            let byID = Dictionary(batch.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            recorded = await complete(completions, attempts: byID) && recorded
            guard recorded else { return }
            let pause = pacing.pause(afterBatchThatTook: .now - started, sinceIngest: .now - lastIngest.withLock { $0 })
            if pause > .zero {
                try? await Task.sleep(for: pause)
            }
        }
    }

    /// One transaction for the batch; if it fails, each delivery alone, so one broken delivery
    /// does not hold the others back: a delivery whose completion fails is tried again later.
    /// False when the store could not record something (nothing is lost: it stays pending).
    private func complete(_ completions: [DeliveryCompletion], attempts: [Int64: StoredDelivery]) async -> Bool {
        guard !completions.isEmpty else { return true }
        do {
            let outcomes = try await store.completeDeliveries(completions, at: now())
            for (completion, outcome) in zip(completions, outcomes) { log(completion.id, outcome) }
            if outcomes.contains(where: { !$0.tasks.isEmpty }) { tasksCreated() }
            return true
        } catch {
            logger.warning("completing \(completions.count) deliveries at once failed; completing them one by one",
                           metadata: ["reason": "\(error)"])
        }
        var recorded = true
        for completion in completions {
            do {
                let outcome = try await store.completeDeliveries([completion], at: now())[0]
                log(completion.id, outcome)
                if !outcome.tasks.isEmpty { tasksCreated() }
            } catch {
                guard let delivery = attempts[completion.id] else { continue }
                recorded = await postpone(delivery, reason: "could not create its tasks: \(error)") && recorded
            }
        }
        return recorded
    }

    /// After a try that failed for a passing reason: pending again until the policy's next time,
    /// or failed for good once the tries are spent. False when the store took neither.
    private func postpone(_ delivery: StoredDelivery, reason: String) async -> Bool {
        switch retry.decide(after: delivery.attempts, reason: reason, now: wallClock()) {
        case .retry(let attempts):
            logger.warning("webhook delivery not processed; trying again later", metadata: [
                "delivery": "\(delivery.id)", "failures": "\(attempts.failures)", "next try": "\(attempts.nextTime)",
                "reason": "\(reason)",
            ])
            do {
                try await store.postponeDelivery(id: delivery.id, attempts: attempts)
                return true
            } catch {
                logger.error("cannot record a failed try of webhook delivery \(delivery.id)", metadata: ["reason": "\(error)"])
                return false
            }
        case .fail(let outcome):
            do {
                let recorded = try await store.completeDeliveries([DeliveryCompletion(id: delivery.id, outcome: outcome, tasks: [])],
                                                                  at: now())[0]
                log(delivery.id, recorded)
                return true
            } catch {
                logger.error("cannot record the outcome of webhook delivery \(delivery.id)", metadata: ["reason": "\(error)"])
                return false
            }
        }
    }

    private func log(_ id: Int64, _ outcome: DeliveryOutcome) {
        Counter(label: "trestle_webhook_deliveries_total", dimensions: [("outcome", outcome.state.rawValue)]).increment()
        for task in outcome.tasks {
            Counter(label: "trestle_tasks_created_total", dimensions: [("workflow", task.workflow), ("trigger", "webhook")]).increment()
        }
        logger.info("webhook delivery processed", metadata: [
            "delivery": "\(id)", "state": "\(outcome.state.rawValue)", "reason": "\(outcome.reason)",
            "tasks": "\(outcome.tasks.map { "\($0.workflow)#\($0.taskID)" }.joined(separator: ","))",
        ])
    }

    /// What one try of a delivery came to: its outcome and tasks (every refusal is an outcome with
    /// its reason), or a failure that may pass, to try again.
    enum Planned {
        case complete(DeliveryOutcome, [PlannedWebhookTask])
        case tryAgain(String)
    }

    /// `DeliveryPlanner` decides; this only diffs the mirror when a rule's path filter asks.
    private func plan(_ stored: StoredDelivery) async -> Planned {
        switch DeliveryPlanner.plan(stored.delivery, id: stored.id, config: config, time: now()) {
        case .complete(let outcome, let tasks):
            return .complete(outcome, tasks)
        case .needChangedPaths(let facts, let decisions):
            let paths: [String]
            do {
                paths = try await changedPaths(facts)
            } catch let error as MirrorUnavailable {
                return .tryAgain("cannot find the changed paths for the rules' path filters: \(error.underlying)")
            } catch {
                return .complete(DeliveryOutcome(state: .failed, reason: "cannot find the changed paths for the rules' path filters: \(error)",
                                                 decisions: decisions), [])
            }
            switch DeliveryPlanner.plan(stored.delivery, id: stored.id, config: config, changedPaths: paths, time: now()) {
            case .complete(let outcome, let tasks): return .complete(outcome, tasks)
            case .needChangedPaths: return .complete(DeliveryOutcome(state: .failed, reason: "the changed paths were not taken (a planner fault)"), [])
            }
        }
    }

    /// From the payload when it lists every commit of a push; otherwise from a diff in the fetched mirror.
    private func changedPaths(_ facts: WebhookFacts) async throws -> [String] {
        if facts.event == .push, facts.beforeCommit != nil, let listed = facts.listedPaths {
            return listed
        }
        guard let mirror = mirrors[facts.repo], let head = facts.headCommit else {
            throw WebhookPayloadError("repo '\(facts.repo)' has no mirror to diff in")
        }
        do {
            try await mirror.sync()
        } catch {
            throw MirrorUnavailable(underlying: error)
        }
        let baseBranch: String? = facts.mergeRequest?.targetBranch
            ?? (facts.beforeCommit == nil ? facts.defaultBranch ?? "main" : nil)
        var baseTip: CommitID?
        if let baseBranch {
            baseTip = try? await mirror.resolve(name: baseBranch, fetchIfUnknown: false)
        }
        let before = facts.beforeCommit
        let tip = baseTip
        return try await mirror.repository.run { handle in
            var base = before
            if base == nil, let tip {
                base = try handle.mergeBase(tip, head)
            }
            return try handle.changedPaths(from: base, to: head).flatMap(\.touchedPaths)
        }
    }
}

/// A fetch that failed: the remote may be back later, so the delivery is tried again. A commit the
/// fetched mirror lacks is the payload's fault, and fails the delivery at once.
private struct MirrorUnavailable: Error {
    var underlying: any Error
}
