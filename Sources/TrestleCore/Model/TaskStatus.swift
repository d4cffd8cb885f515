/// The status words of seed 000, shared by tasks, stages and jobs.
public enum TaskStatus: String, Sendable, Codable, CaseIterable, Hashable {
    case created
    case running
    case passed
    case failed
    case timeout
    case cancelled

    /// A final status: nothing runs any more until a restart.
    public var isFinal: Bool {
        switch self {
        case .created, .running: false
        case .passed, .failed, .timeout, .cancelled: true
        }
    }
}
