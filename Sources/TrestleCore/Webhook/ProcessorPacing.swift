/// How the webhook processor shares the machine with ingest.
///
/// Receiving a delivery (committing it before the 2xx) must win over processing one: GitLab
/// gives a receiver 10 seconds and disables hooks that keep failing, while a processed delivery
/// is only needed soon. Both need CPU and the store's one writer, so while deliveries keep
/// arriving the processor pauses after each batch for long enough to take at most `share` of
/// the time, and runs flat out as soon as ingest has been quiet for `quiet`. It never stops:
/// under a sustained flood it still gets its share, and the backlog drains when the flood ends.
public struct ProcessorPacing: Sendable, Equatable {
    /// Ingest counts as busy when its last commit is more recent than this.
    public var quiet: Duration
    /// The processor's least share of the time while ingest is busy, above 0 and at most 1.
    public var share: Double
    /// No pause is longer than this, so a delivery waits at most this much more per batch.
    public var longestPause: Duration

    public init(quiet: Duration = .milliseconds(20), share: Double = 0.1, longestPause: Duration = .milliseconds(200)) {
        self.quiet = quiet
        self.share = min(max(share, 0.01), 1)
        self.longestPause = longestPause
    }

    /// The pause after a batch that took `batch`, when ingest last committed `sinceIngest` ago.
    public func pause(afterBatchThatTook batch: Duration, sinceIngest: Duration) -> Duration {
        guard sinceIngest < quiet, share < 1 else { return .zero }
        return min(batch * ((1 - share) / share), longestPause)
    }
}
