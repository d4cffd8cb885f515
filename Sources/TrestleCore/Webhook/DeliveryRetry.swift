/// How often a delivery was tried and why the last try failed, while it is still pending.
public struct DeliveryAttempts: Sendable, Equatable {
    /// Failed tries so far (0: never tried, or tried once and about to complete).
    public var failures: Int
    public var lastError: String?
    /// Not tried again before this time (seconds since 1970); 0 is at once.
    public var nextTime: Int64

    public init(failures: Int = 0, lastError: String? = nil, nextTime: Int64 = 0) {
        self.failures = failures
        self.lastError = lastError
        self.nextTime = nextTime
    }

    public static let none = DeliveryAttempts()
}

/// What to do with a delivery whose processing failed for a passing reason (a fetch for changed
/// paths, a store write, a GitLab lookup): try it again later, keeping it pending, or, once the
/// tries are spent, fail it for good saying why. A delivery answered 2xx is never dropped silently.
public struct DeliveryRetryPolicy: Sendable, Equatable {
    public var backoff: RetryBackoff
    /// Tries in all, the first included.
    public var maxTries: Int

    /// By default 12 tries over about 35 minutes: 2 s, doubling, at most 10 minutes apart.
    public init(backoff: RetryBackoff = RetryBackoff(first: .seconds(2), longest: .seconds(600)), maxTries: Int = 12) {
        self.backoff = backoff
        self.maxTries = maxTries
    }

    public enum Decision: Sendable, Equatable {
        case retry(DeliveryAttempts)
        case fail(DeliveryOutcome)
    }

    /// After a try failed with `reason`; `earlier` are the tries before it.
    public func decide(after earlier: DeliveryAttempts, reason: String, now: Int64) -> Decision {
        let failures = earlier.failures + 1
        guard failures < maxTries else {
            return .fail(DeliveryOutcome(state: .failed, reason: "gave up after \(failures) tries: \(reason)"))
        }
        let delay = backoff.delay(afterFailures: failures).components.seconds
        return .retry(DeliveryAttempts(failures: failures, lastError: reason, nextTime: now + max(delay, 1)))
    }
}
