import Synchronization
import TrestleCore

/// Answers to the status query by commit prefix, kept until the next write that changes a task's
/// summary, for an engine whose every query is a network round trip (PostgreSQL).
///
/// It is only trusted while the engine hears of every such write, its own and other processes':
/// `enable()` once listening, `disable()` when the listening stops (everything is then asked of
/// the database again). An answer read while a write committed is not kept: `remember` takes the
/// generation seen before reading, and any invalidation in between makes it stale.
public final class StatusAnswerCache: Sendable {
    private struct State {
        var enabled = false
        var generation: UInt64 = 0
        var answers: [String: [TaskSummary]] = [:]
    }

    /// More distinct prefixes than this are not kept: the whole set is dropped and refilled.
    public let capacity: Int
    private let state = Mutex(State())

    public init(capacity: Int = 50_000) {
        self.capacity = capacity
    }

    /// The generation to hand back to `remember`, or nil when answers are not being kept.
    public func generation() -> UInt64? {
        state.withLock { $0.enabled ? $0.generation : nil }
    }

    public func answer(_ prefix: CommitPrefix, limit: Int) -> [TaskSummary]? {
        state.withLock { $0.enabled ? $0.answers[Self.key(prefix, limit)] : nil }
    }

    public func remember(_ answer: [TaskSummary], for prefix: CommitPrefix, limit: Int, readAt generation: UInt64) {
        state.withLock { state in
            guard state.enabled, state.generation == generation else { return }
            if state.answers.count >= capacity { state.answers.removeAll(keepingCapacity: true) }
            state.answers[Self.key(prefix, limit)] = answer
        }
    }

    /// A task was created or its status changed: every kept answer may be wrong.
    public func invalidate() {
        state.withLock { state in
            state.generation &+= 1
            state.answers.removeAll(keepingCapacity: true)
        }
    }

    public func enable() {
        state.withLock { state in
            state.generation &+= 1
            state.answers.removeAll()
            state.enabled = true
        }
    }

    public func disable() {
        state.withLock { state in
            state.generation &+= 1
            state.answers.removeAll()
            state.enabled = false
        }
    }

    private static func key(_ prefix: CommitPrefix, _ limit: Int) -> String { "\(prefix.hex) \(limit)" }
}
