import Foundation
import Synchronization
import TrestleCore

/// How an async flow task ended, as its worker reported it.
public enum FlowTaskResult: Sendable, Equatable {
    case success(JSONValue)
    case failure(String)
}

/// Async flow tasks waiting for their result, and the results reported for them (through the
/// callback URL or finish.json). A task registers before its request is sent, so a worker that
/// answers at once is not missed.
public final class FlowResults: Sendable {
    public enum Delivery: Sendable, Equatable {
        case delivered
        /// No such task is waiting (never was, already ended, or its token does not match).
        case notWaiting
    }

    struct Key: Hashable {
        var execution: String
        var task: String
    }

    private struct Waiter {
        var token: String
        var continuation: AsyncStream<FlowTaskResult>.Continuation
    }

    private let waiters = Mutex<[Key: Waiter]>([:])

    public init() {}

    /// Registers a waiting task; answers its callback token and the stream its result arrives on.
    func register(execution: String, task: String) -> (token: String, results: AsyncStream<FlowTaskResult>) {
        let (stream, continuation) = AsyncStream.makeStream(of: FlowTaskResult.self, bufferingPolicy: .bufferingNewest(1))
        let token = Self.newToken()
        let key = Key(execution: execution, task: task)
        waiters.withLock { $0[key] = Waiter(token: token, continuation: continuation) }
        return (token, stream)
    }

    func unregister(execution: String, task: String) {
        let waiter = waiters.withLock { $0.removeValue(forKey: Key(execution: execution, task: task)) }
        waiter?.continuation.finish()
    }

    /// Hands a result to the waiting task. With `token` (the callback URL) it must be the task's
    /// own; without (finish.json, authenticated by an API token) any waiting task takes it.
    public func deliver(execution: String, task: String, token: String?, result: FlowTaskResult) -> Delivery {
        let key = Key(execution: execution, task: task)
        let waiter = waiters.withLock { waiters -> Waiter? in
            guard let waiter = waiters[key] else { return nil }
            if let token, !ConstantTime.equal(token, waiter.token) { return nil }
            waiters.removeValue(forKey: key)
            return waiter
        }
        guard let waiter else { return .notWaiting }
        waiter.continuation.yield(result)
        waiter.continuation.finish()
        return .delivered
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
