/// Rill Flow's status words over the core statuses, and its `process` percent.
///
/// DAG: created → `NOT_STARTED`, running → `RUNNING`, passed → `SUCCEED`, any other end → `FAILED`.
/// Task: `NOT_STARTED` (waiting for the tasks before it), `READY` (those have ended; about to run),
/// `RUNNING`, `SUCCEED`, `FAILED`, and `SKIPPED` for a tolerant task that failed (the flow went on)
/// or a task stopped before it started.
public enum FlowStatusWords {
    public static func dag(_ status: TaskStatus) -> String {
        switch status {
        case .created: "NOT_STARTED"
        case .running: "RUNNING"
        case .passed: "SUCCEED"
        case .failed, .timeout, .cancelled: "FAILED"
        }
    }

    public static func task(_ job: JobRecord, in jobs: [JobRecord], rules: JobRules, flow: TaskStatus) -> String {
        switch job.status {
        case .created:
            let byName = Dictionary(jobs.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            let ready = flow == .running && (rules.needs[job.name] ?? []).allSatisfy { byName[$0].map(rules.settled) ?? true }
            return ready ? "READY" : "NOT_STARTED"
        case .running: return "RUNNING"
        case .passed: return "SUCCEED"
        case .cancelled where job.startTime == 0: return "SKIPPED"
        case .failed, .timeout, .cancelled: return rules.allowedToFail.contains(job.name) ? "SKIPPED" : "FAILED"
        }
    }

    /// Percent of the tasks that have ended, rounded down (100 once all have).
    public static func process(_ jobs: [JobRecord]) -> Int {
        guard !jobs.isEmpty else { return 100 }
        return jobs.filter(\.status.isFinal).count * 100 / jobs.count
    }
}
