/// Why the executor could not prepare or run a job; the message is recorded as the job's error.
public struct RunnerError: Error, Sendable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
