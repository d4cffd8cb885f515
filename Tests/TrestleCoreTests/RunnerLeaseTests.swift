import Testing
import TrestleCore

@Suite("Runner leases: who is presumed lost, and when a runner stops its own jobs")
struct RunnerLeaseTests {
    @Test("a lease of 30 s heartbeats every 5 s, presumes lost what was last heard over 30 s ago, and is kept within its bounds")
    func intervalsAndBounds() {
        let lease = RunnerLease(seconds: 30)
        #expect(lease.heartbeatInterval == .seconds(5))
        #expect(lease.lostBefore(now: 1_000) == 970)
        #expect(RunnerLease(seconds: 0).seconds == RunnerLease.allowedSeconds.lowerBound)
        #expect(RunnerLease(seconds: 1_000_000).seconds == RunnerLease.allowedSeconds.upperBound)
        #expect(RunnerLease.lostReason("host:42:x") == "runner lost: host:42:x")
    }

    @Test("after a heartbeat, a runner keeps running or stops its jobs",
          arguments: [
              (RunnerLease.Heartbeat.recorded, Int64(100), Int64(100), RunnerLease.Step.keepRunning),
              (.recorded, 10, 100, .keepRunning),
              (.unknownRunner, 100, 100, .stopRuns(reason: "runner lost: r")),
              (.failed, 90, 100, .keepRunning),
              (.failed, 71, 100, .keepRunning),
              (.failed, 70, 100, .stopRuns(reason: "runner lost: r")),
              (.failed, 10, 100, .stopRuns(reason: "runner lost: r")),
          ])
    func stepAfterHeartbeat(heartbeat: RunnerLease.Heartbeat, lastRecorded: Int64, now: Int64, expected: RunnerLease.Step) {
        #expect(RunnerLease(seconds: 30).step(after: heartbeat, lastRecorded: lastRecorded, now: now, runner: "r") == expected)
    }
}
