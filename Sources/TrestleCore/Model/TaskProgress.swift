/// Where a running attempt stands and what runs next: pure functions of its stages.
///
/// Stages run in order; the jobs of a stage run in parallel. A stage passes when every job
/// passed; a job that failed, timed out or was cancelled ends the task with that status once the
/// stage's other jobs have ended, and the later stages never start.
public enum TaskProgress {
    public enum Next: Sendable, Equatable {
        /// Start these jobs (positions in the stage); jobs of the stage already running keep running.
        case start(stage: Int, jobs: [Int])
        /// Jobs are running and nothing else can start until one ends.
        case wait
        /// Every job has ended: the task ends with this status.
        case finish(TaskStatus)
    }

    public static func next(_ stages: [StageRecord]) -> Next {
        for (index, stage) in stages.enumerated() {
            if stage.jobs.allSatisfy({ $0.status == .passed }) { continue }
            let waiting = stage.jobs.indices.filter { stage.jobs[$0].status == .created }
            let running = stage.jobs.contains { $0.status == .running }
            let ended = stage.jobs.filter { $0.status.isFinal && $0.status != .passed }.map(\.status)
            if ended.isEmpty {
                return waiting.isEmpty ? .wait : .start(stage: index, jobs: waiting)
            }
            // A job of this stage did not pass: let the others end, start nothing new.
            return running ? .wait : .finish(worst(ended))
        }
        return .finish(.passed)
    }

    /// The stages with one job's new status, its stage's status and times derived from its jobs.
    public static func updating(_ stages: [StageRecord], stage: Int, job: Int, to status: TaskStatus,
                                at time: Int64, error: String? = nil) -> [StageRecord] {
        var stages = stages
        var record = stages[stage].jobs[job]
        record.status = status
        if status == .running {
            record.startTime = time
            record.endTime = 0
            record.error = nil
        } else if status.isFinal {
            record.endTime = time
            record.error = error
        }
        stages[stage].jobs[job] = record
        stages[stage] = derived(stages[stage], at: time)
        return stages
    }

    /// The stages once the attempt ends early (timeout, cancel, lost executor): every job not
    /// ended gets `status` and `reason`; jobs that never started are marked as not run.
    public static func ending(_ stages: [StageRecord], as status: TaskStatus, reason: String, at time: Int64) -> [StageRecord] {
        stages.map { stage in
            var stage = stage
            for index in stage.jobs.indices where !stage.jobs[index].status.isFinal {
                let started = stage.jobs[index].status == .running
                stage.jobs[index].status = started ? status : .cancelled
                stage.jobs[index].endTime = time
                stage.jobs[index].error = started ? reason : "not run: \(reason)"
            }
            return derived(stage, at: time)
        }
    }

    /// After the task failed in an earlier stage: the jobs that never started say why.
    public static func skippingRest(_ stages: [StageRecord], after failedStage: Int) -> [StageRecord] {
        stages.enumerated().map { index, stage in
            guard index > failedStage else { return stage }
            var stage = stage
            for job in stage.jobs.indices where stage.jobs[job].status == .created {
                stage.jobs[job].error = "not run: stage '\(stages[failedStage].name)' did not pass"
            }
            return stage
        }
    }

    /// A stage's status and times from its jobs.
    static func derived(_ stage: StageRecord, at time: Int64) -> StageRecord {
        var stage = stage
        let statuses = stage.jobs.map(\.status)
        let wasFinal = stage.status.isFinal
        if statuses.allSatisfy({ $0 == .passed }) {
            stage.status = .passed
        } else if statuses.contains(.running) {
            stage.status = .running
        } else if statuses.allSatisfy(\.isFinal) {
            stage.status = worst(statuses.filter { $0 != .passed })
        } else if statuses.contains(where: { $0 != .created }) {
            stage.status = .running
        } else {
            stage.status = .created
        }
        if stage.status != .created, stage.startTime == 0 {
            stage.startTime = stage.jobs.map(\.startTime).filter { $0 > 0 }.min() ?? time
        }
        if stage.status.isFinal, !wasFinal || stage.endTime == 0 {
            stage.endTime = time
        } else if !stage.status.isFinal {
            stage.endTime = 0
        }
        return stage
    }

    /// The status that explains a stage or task best: a timeout over a cancel over a failure.
    static func worst(_ statuses: [TaskStatus]) -> TaskStatus {
        if statuses.contains(.timeout) { return .timeout }
        if statuses.contains(.cancelled) { return .cancelled }
        if statuses.contains(.failed) { return .failed }
        return .passed
    }
}
