import Foundation
import Logging
import Synchronization
import TrestleCore
import TrestleStore

/// Async flow tasks waiting for their result, and the results reported for them (through the
/// callback URL or finish.json). A task registers before its request is sent, so a worker that
/// answers at once is not missed.
///
/// Within one process a result goes straight to the waiting task. With a `shared` store (several
/// processes on PostgreSQL) each wait is recorded there too: a result reported at a node where the
/// task does not wait is recorded in the store, and the waiting worker polls for it.
public final class FlowResults: Sendable {
    public enum Delivery: Sendable, Equatable {
        case delivered
        /// No such task is waiting (never was, already ended, or its token does not match).
        case notWaiting
    }

    /// How often a waiting task looks in the shared store for a result reported elsewhere.
    static let sharedPoll: Duration = .milliseconds(200)

    struct Key: Hashable {
        var execution: String
        var task: String
    }

    private struct Waiter {
        var token: String
        var continuation: AsyncStream<FlowTaskResult>.Continuation
    }

    private let waiters = Mutex<[Key: Waiter]>([:])
    private let shared: (any FlowResultStore)?

    public init(shared: (any FlowResultStore)? = nil) {
        self.shared = shared
    }

    /// Registers a waiting task; answers its callback token and the stream its result arrives on
    /// (from this process, or from the shared store).
    func register(execution: String, task: String) async throws -> (token: String, results: AsyncStream<FlowTaskResult>) {
        let (stream, continuation) = AsyncStream.makeStream(of: FlowTaskResult.self, bufferingPolicy: .bufferingNewest(1))
        let token = Self.newToken()
        let key = Key(execution: execution, task: task)
        try await shared?.awaitFlowResult(execution: execution, task: task, token: token)
        waiters.withLock { $0[key] = Waiter(token: token, continuation: continuation) }
        if let shared {
            let poll = Task {
                while (try? await Task.sleep(for: Self.sharedPoll)) != nil {
                    guard let result = try? await shared.flowResult(execution: execution, task: task) else { continue }
                    continuation.yield(result)
                    continuation.finish()
                    return
                }
            }
            continuation.onTermination = { _ in poll.cancel() }
        }
        return (token, stream)
    }

    func unregister(execution: String, task: String) async {
        let waiter = waiters.withLock { $0.removeValue(forKey: Key(execution: execution, task: task)) }
        waiter?.continuation.finish()
        try? await shared?.endFlowWait(execution: execution, task: task)
    }

    /// Hands a result to the waiting task. With `token` (the callback URL) it must be the task's
    /// own; without (finish.json, authenticated by an API token) any waiting task takes it.
    public func deliver(execution: String, task: String, token: String?, result: FlowTaskResult) async throws -> Delivery {
        let key = Key(execution: execution, task: task)
        let waiter = waiters.withLock { waiters -> Waiter? in
            guard let waiter = waiters[key] else { return nil }
            if let token, !ConstantTime.equal(token, waiter.token) { return nil }
            waiters.removeValue(forKey: key)
            return waiter
        }
        if let waiter {
            waiter.continuation.yield(result)
            waiter.continuation.finish()
            return .delivered
        }
        guard let shared else { return .notWaiting }
        let recorded = try await shared.recordFlowResult(execution: execution, task: task, result: result) { stored in
            token.map { ConstantTime.equal($0, stored) } ?? true
        }
        return recorded ? .delivered : .notWaiting
    }

    /// 128 random bits as hex.
    static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in
            let hex = String(generator.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }
}
