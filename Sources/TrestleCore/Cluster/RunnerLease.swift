/// How executors sharing one store (a cluster on PostgreSQL) tell the live from the dead.
///
/// Each executor registers as a runner and heartbeats; one not heard from for `seconds` is
/// presumed dead, and any live process fails the tasks it was running ("runner lost: NAME") or
/// queues them again. An executor that cannot heartbeat for as long (partitioned from the
/// database) presumes the same of itself and stops its jobs: by then another process has failed
/// their tasks, and a job must not go on running for a task that has ended.
public struct RunnerLease: Sendable, Equatable {
    /// Long enough to outlast a database fail-over, short enough that a lost task is noticed.
    public static let allowedSeconds: ClosedRange<Int> = 3...3_600

    public var seconds: Int

    public init(seconds: Int) {
        self.seconds = min(max(seconds, Self.allowedSeconds.lowerBound), Self.allowedSeconds.upperBound)
    }

    /// Six heartbeats a lease (every 5 s at the default 30), so one or two lost on the way never
    /// cost a live runner its tasks.
    public var heartbeatInterval: Duration {
        .milliseconds(seconds * 1_000 / 6)
    }

    /// Runners whose last heartbeat is older than this are lost at `now`.
    public func lostBefore(now: Int64) -> Int64 {
        now - Int64(seconds)
    }

    /// The reason a lost runner's tasks and jobs fail with.
    public static func lostReason(_ runner: String) -> String {
        "runner lost: \(runner)"
    }

    /// What a runner does after trying to heartbeat.
    public enum Step: Sendable, Equatable {
        /// Its lease holds: go on.
        case keepRunning
        /// Other processes presume it dead (its registration was removed, or it has not heartbeat
        /// for a whole lease): its tasks are theirs to fail, so it stops its jobs, then registers
        /// again to claim anew.
        case stopRuns(reason: String)
    }

    public enum Heartbeat: Sendable, Equatable {
        /// The store recorded it.
        case recorded
        /// The store had no registration for it: it was presumed lost meanwhile.
        case unknownRunner
        /// The store could not be reached.
        case failed
    }

    /// `lastRecorded` is when the store last took this runner's heartbeat.
    public func step(after heartbeat: Heartbeat, lastRecorded: Int64, now: Int64, runner: String) -> Step {
        switch heartbeat {
        case .recorded:
            return .keepRunning
        case .unknownRunner:
            return .stopRuns(reason: Self.lostReason(runner))
        case .failed:
            return now - lastRecorded >= Int64(seconds) ? .stopRuns(reason: Self.lostReason(runner)) : .keepRunning
        }
    }
}
