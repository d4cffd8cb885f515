/// Delays between tries of something that failed for a passing reason: `first`, doubling each
/// time, never more than `longest`. It has no last try; whoever uses it decides when to stop.
public struct RetryBackoff: Sendable, Equatable {
    public var first: Duration
    public var longest: Duration

    public init(first: Duration, longest: Duration) {
        self.first = first
        self.longest = longest
    }

    /// The pause after the `failures`-th failure in a row (1 for the first).
    public func delay(afterFailures failures: Int) -> Duration {
        let doublings = min(max(failures - 1, 0), 40)
        var delay = first
        for _ in 0..<doublings {
            delay *= 2
            if delay >= longest { return longest }
        }
        return min(delay, longest)
    }
}
