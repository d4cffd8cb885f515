/// What can happen to a task. The executor drives start/pass/fail/timeout;
/// users drive cancel and restart.
public enum TaskEvent: String, Sendable, Hashable, CaseIterable {
    case start
    case pass
    case fail
    case timeOut = "timeout"
    case cancel
    case restart

    /// The event that ends a running task as `status` (any status but these three fails it).
    public static func ending(as status: TaskStatus) -> TaskEvent {
        switch status {
        case .passed: .pass
        case .timeout: .timeOut
        case .cancelled: .cancel
        default: .fail
        }
    }
}

public struct IllegalTransition: Error, Sendable, Equatable, CustomStringConvertible {
    public let from: TaskStatus
    public let event: TaskEvent

    public init(from: TaskStatus, event: TaskEvent) {
        self.from = from
        self.event = event
    }

    public var description: String {
        switch event {
        case .restart:
            "the task is \(from.rawValue); only failed, timeout or cancelled tasks can be restarted"
        case .cancel:
            "the task is already \(from.rawValue); only created or running tasks can be cancelled"
        case .start:
            "the task is \(from.rawValue); only a created task can start"
        case .pass, .fail, .timeOut:
            "the task is \(from.rawValue); only a running task can end as \(event.rawValue)"
        }
    }
}

/// The task lifecycle of seed 000:
/// `created → running → passed | failed | timeout | cancelled`,
/// cancel from created or running, restart (back to created, as a new attempt)
/// from failed, timeout or cancelled.
public enum TaskStateMachine {
    public static func next(after status: TaskStatus, on event: TaskEvent) throws(IllegalTransition) -> TaskStatus {
        switch (status, event) {
        case (.created, .start): return .running
        case (.running, .pass): return .passed
        case (.running, .fail): return .failed
        case (.running, .timeOut): return .timeout
        case (.created, .cancel), (.running, .cancel): return .cancelled
        case (.failed, .restart), (.timeout, .restart), (.cancelled, .restart): return .created
        default: throw IllegalTransition(from: status, event: event)
        }
    }
}
