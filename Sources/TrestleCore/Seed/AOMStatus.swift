/// Seed 004 (AOM "list workflow executions") status words for the core's task and job statuses.
public enum AOMStatus {
    public static func word(_ status: TaskStatus) -> String {
        switch status {
        case .created: "waiting"
        case .running: "running"
        case .passed: "success"
        case .failed: "failed"
        case .timeout: "timeout"
        case .cancelled: "cancelled"
        }
    }

    /// The latest time anything of `record` changed: its own times, its attempts' and its jobs'.
    public static func lastUpdateTime(_ record: TaskRecord) -> Int64 {
        let summary = record.summary
        var latest = max(summary.createTime, summary.startTime, summary.endTime)
        for attempt in record.attempts {
            latest = max(latest, attempt.createTime, attempt.startTime, attempt.endTime)
        }
        for job in record.currentStages.flatMap(\.jobs) {
            latest = max(latest, job.startTime, job.endTime)
        }
        return latest
    }
}
