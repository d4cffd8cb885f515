import Metrics
import TrestleCore

/// What the executor tells the metrics system (swift-metrics; `/metrics` shows it): how long tasks
/// waited to start, how long jobs ran and how they ended, how tasks ended, how many jobs run.
enum RunMetrics {
    static let runningJobs = Meter(label: "trestle_running_jobs")

    static func started(_ task: TaskRecord, at time: Int64) {
        let wait = max(0, time - task.summary.createTime)
        Timer(label: "trestle_task_queue_wait_seconds", dimensions: [("workflow", task.summary.workflow)], preferredDisplayUnit: .seconds)
            .recordSeconds(Double(wait))
    }

    static func jobEnded(workflow: String, job: JobRecord) {
        guard job.startTime > 0, job.endTime >= job.startTime else { return }
        Timer(label: "trestle_job_duration_seconds", dimensions: [("workflow", workflow), ("status", job.status.rawValue)],
              preferredDisplayUnit: .seconds).recordSeconds(Double(job.endTime - job.startTime))
    }

    static func taskEnded(workflow: String, status: TaskStatus) {
        Counter(label: "trestle_tasks_ended_total", dimensions: [("workflow", workflow), ("status", status.rawValue)]).increment()
    }
}
