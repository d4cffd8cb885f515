import Foundation
import Testing
import TrestleCore
import TrestleStore
@testable import TrestleSQLite

@Suite("Executor claims and progress in the store")
struct RunStoreTests {
    @Test("claims take created tasks oldest first within the total and per-workflow limits, counting tasks already running",
          arguments: StoreKind.allCases)
    func claimsRespectLimits(kind: StoreKind) async throws {
        let (store, close) = try await kind.open()
        for workflow in ["a", "a", "a", "b", "b"] {
            _ = try await store.createTask(Tasks.new(workflow: workflow))
        }
        let limits = RunLimits(total: 3, perWorkflow: ["a": 1])
        let first = try await store.claimTasks(limits, runner: "r1", at: 10)
        #expect(first.map { "\($0.summary.workflow)\($0.summary.taskID)" } == ["a1", "b1", "b2"])
        #expect(first.allSatisfy { $0.summary.status == .running && $0.summary.startTime == 10 })
        #expect(try await store.claimTasks(limits, runner: "r1", at: 11).isEmpty, "r1 runs 3: its total is reached")
        #expect(try await store.claimTasks(limits, runner: "r2", at: 11).isEmpty, "a's limit of 1 counts r1's a1")
        let a1 = first[0]
        let stages = TaskProgress.ending(a1.currentStages, as: .passed, reason: "", at: 12).map { stage in
            var stage = stage
            for index in stage.jobs.indices { stage.jobs[index].status = .passed }
            stage.status = .passed
            return stage
        }
        #expect(try await store.recordProgress(workflow: "a", taskID: 1, attempt: 1, stages: stages, ending: .passed, at: 12))
        let next = try await store.claimTasks(limits, runner: "r2", at: 13)
        #expect(next.map { "\($0.summary.workflow)\($0.summary.taskID)" } == ["a2"])
        let a1Now = try #require(try await store.task(workflow: "a", taskID: 1))
        #expect(a1Now.summary.status == .passed && a1Now.summary.endTime == 12)
        #expect(a1Now.attempts.last?.status == .passed)
        try await close()
    }

    @Test("each executor fills its own slots, whatever other executors run; a workflow's limit counts every executor's tasks",
          arguments: StoreKind.allCases)
    func eachExecutorHasItsOwnSlots(kind: StoreKind) async throws {
        let (store, close) = try await kind.open()
        for workflow in ["a", "a", "a", "b", "b", "b", "b", "b"] {
            _ = try await store.createTask(Tasks.new(workflow: workflow))
        }
        let limits = RunLimits(total: 2, perWorkflow: ["a": 2])
        let names = { (claimed: [TaskRecord]) in claimed.map { "\($0.summary.workflow)\($0.summary.taskID)" } }
        #expect(names(try await store.claimTasks(limits, runner: "w1", at: 10)) == ["a1", "a2"])
        #expect(names(try await store.claimTasks(limits, runner: "w2", at: 10)) == ["b1", "b2"], "a is at its limit on w1")
        #expect(names(try await store.claimTasks(limits, runner: "w3", at: 10)) == ["b3", "b4"])
        #expect(try await store.claimTasks(limits, runner: "w1", at: 11).isEmpty)
        try await close()
    }

    @Test("an executor's running attempts are its claimed tasks still running: not another runner's, not a cancelled one, not a restarted one's old attempt",
          arguments: StoreKind.allCases)
    func runningAttemptsAreTheRunnersOwn(kind: StoreKind) async throws {
        let (store, close) = try await kind.open()
        for _ in 0..<4 { _ = try await store.createTask(Tasks.new(workflow: "wf")) }
        _ = try await store.claimTasks(RunLimits(total: 3), runner: "w1", at: 10)
        _ = try await store.claimTasks(RunLimits(total: 3), runner: "w2", at: 10)
        let attempt = { (id: Int64, number: Int) in RunningAttempt(workflow: "wf", taskID: id, attempt: number) }
        #expect(try await store.runningAttempts(runner: "w1") == [attempt(1, 1), attempt(2, 1), attempt(3, 1)])
        #expect(try await store.runningAttempts(runner: "w2") == [attempt(4, 1)])
        _ = try await store.cancelTask(workflow: "wf", taskID: 1, by: TaskTrigger(kind: .api, by: "test"), at: 11)
        _ = try await store.cancelTask(workflow: "wf", taskID: 2, by: TaskTrigger(kind: .api, by: "test"), at: 11)
        _ = try await store.restartTask(workflow: "wf", taskID: 2, by: TaskTrigger(kind: .restart, by: "test"), at: 11)
        #expect(try await store.runningAttempts(runner: "w1") == [attempt(3, 1)])
        _ = try await store.claimTasks(RunLimits(total: 3), runner: "w2", at: 12)
        #expect(try await store.runningAttempts(runner: "w2") == [attempt(2, 2), attempt(4, 1)])
        #expect(try await store.runningAttempts(runner: "nobody").isEmpty)
        try await close()
    }

    @Test("progress with changes writes only the rows named: a job's start is one job row and its stage, not the task's every job",
          arguments: StoreKind.allCases)
    func progressWritesOnlyTheChangedRows(kind: StoreKind) async throws {
        let (store, close) = try await kind.open()
        _ = try await store.createTask(Tasks.new(workflow: "a"))
        let claimed = try #require(try await store.claimTasks(RunLimits(total: 1), runner: "r", at: 10).first)
        let before = claimed.currentStages
        let started = TaskProgress.updating(before, stage: 0, job: 0, to: .running, at: 11)
        let changes = try #require(TaskProgress.changes(from: before, to: started))
        #expect(changes.jobs == [JobAddress(stage: 0, job: 0)])
        // Rows the changes do not name are not written, even when the stages passed differ there.
        var tampered = started
        for stage in tampered.indices.dropFirst() { tampered[stage].jobs = tampered[stage].jobs.map { var job = $0; job.error = "not written"; return job } }
        #expect(try await store.recordProgress(workflow: "a", taskID: 1, attempt: 1, stages: tampered, changes: changes,
                                               ending: nil, at: 11))
        let stored = try #require(try await store.task(workflow: "a", taskID: 1)).currentStages
        #expect(stored[0] == started[0])
        #expect(Array(stored.dropFirst()) == Array(before.dropFirst()))
        try await close()
    }

    @Test("progress for a task cancelled meanwhile is refused and changes nothing", arguments: StoreKind.allCases)
    func progressAfterCancelIsRefused(kind: StoreKind) async throws {
        let (store, close) = try await kind.open()
        _ = try await store.createTask(Tasks.new())
        let claimed = try #require(try await store.claimTasks(RunLimits(total: 1), runner: "r", at: 5).first)
        _ = try await store.cancelTask(workflow: "wf", taskID: 1, by: TaskTrigger(kind: .api, by: "u"), at: 6)
        let running = TaskProgress.updating(claimed.currentStages, stage: 0, job: 0, to: .running, at: 7)
        #expect(try await store.recordProgress(workflow: "wf", taskID: 1, attempt: 1, stages: running, ending: nil, at: 7) == false)
        let task = try #require(try await store.task(workflow: "wf", taskID: 1))
        #expect(task.summary.status == .cancelled)
        #expect(task.currentStages.flatMap(\.jobs).allSatisfy { $0.status == .cancelled })
        try await close()
    }

    @Test("tasks left running by a gone executor are failed with the reason; others are untouched", arguments: StoreKind.allCases)
    func interruptedTasksFail(kind: StoreKind) async throws {
        let (store, close) = try await kind.open()
        _ = try await store.createTask(Tasks.new())
        _ = try await store.createTask(Tasks.new())
        let claimed = try #require(try await store.claimTasks(RunLimits(total: 1), runner: "old", at: 5).first)
        let running = TaskProgress.updating(claimed.currentStages, stage: 0, job: 0, to: .running, at: 6)
        #expect(try await store.recordProgress(workflow: "wf", taskID: 1, attempt: 1, stages: running, ending: nil, at: 6))
        let failed = try await store.failInterruptedTasks(runner: nil, reason: "executor restarted", requeue: [], at: 9)
        #expect(failed.map(\.taskID) == [1])
        let task = try #require(try await store.task(workflow: "wf", taskID: 1))
        #expect(task.summary.status == .failed && task.summary.endTime == 9)
        #expect(task.currentStages[0].jobs[0].error == "executor restarted")
        #expect(task.currentStages[1].jobs[0].error == "not run: executor restarted")
        #expect(try await store.task(workflow: "wf", taskID: 2)?.summary.status == .created)
        try await close()
    }

    @Test("a task of a workflow that re-queues interrupted tasks starts a new attempt, the interrupted one kept as failed",
          arguments: StoreKind.allCases)
    func interruptedTasksRequeue(kind: StoreKind) async throws {
        let (store, close) = try await kind.open()
        _ = try await store.createTask(Tasks.new())
        _ = try await store.claimTasks(RunLimits(total: 1), runner: "old", at: 5)
        let requeued = try await store.failInterruptedTasks(runner: nil, reason: "executor restarted", requeue: ["wf"], at: 9)
        #expect(requeued.map(\.status) == [.created])
        let task = try #require(try await store.task(workflow: "wf", taskID: 1))
        #expect(task.attempts.map(\.status) == [.failed, .created])
        #expect(task.attempts.last?.trigger == TaskTrigger(kind: .restart, by: "executor restarted"))
        #expect(try await store.claimTasks(RunLimits(total: 1), runner: "new", at: 10).map(\.attempt) == [2])
        try await close()
    }
}

@Suite("Runners and their leases in the store")
struct RunnerStoreTests {
    @Test("a heartbeat registers a runner, then answers that it was registered; a removed runner is new again",
          arguments: StoreKind.allCases)
    func heartbeatsRegister(kind: StoreKind) async throws {
        let (store, close) = try await kind.open()
        #expect(try await store.heartbeat(runner: "w1", at: 10) == false)
        #expect(try await store.heartbeat(runner: "w1", at: 15) == true)
        try await store.removeRunner("w1")
        #expect(try await store.heartbeat(runner: "w1", at: 20) == false)
        try await close()
    }

    @Test("runners not heard from before the lease are removed and their running tasks failed as lost; live runners' tasks and queued ones are untouched",
          arguments: StoreKind.allCases)
    func lostRunnersTasksFail(kind: StoreKind) async throws {
        let (store, close) = try await kind.open()
        for workflow in ["wf", "wf", "again", "wf"] { _ = try await store.createTask(Tasks.new(workflow: workflow)) }
        // A claim registers its runner: "dead" claims two, "live" one; the fourth task stays queued.
        let dead = try await store.claimTasks(RunLimits(total: 2), runner: "dead", at: 10)
        #expect(dead.count == 2)
        #expect(try await store.heartbeat(runner: "dead", at: 10) == true, "the claim registered the runner")
        let live = try await store.claimTasks(RunLimits(total: 1), runner: "live", at: 11)
        #expect(live.map(\.summary.workflow) == ["again"])
        #expect(try await store.heartbeat(runner: "live", at: 40) == true)

        let lost = try await store.failLostRunners(heartbeatBefore: 30, requeue: ["again"], at: 41)
        #expect(lost.map(\.runner) == ["dead", "dead"])
        #expect(lost.allSatisfy { $0.task.status == .failed && $0.task.endTime == 41 })
        for task in dead {
            let now = try #require(try await store.task(workflow: task.summary.workflow, taskID: task.summary.taskID))
            #expect(now.summary.status == .failed)
            #expect(now.currentStages.flatMap(\.jobs).allSatisfy { $0.status == .failed || $0.status == .cancelled })
            #expect(now.currentStages.flatMap(\.jobs).allSatisfy { $0.error?.contains("runner lost: dead") == true }, "\(now.currentStages)")
        }
        let kept = try #require(try await store.task(workflow: "again", taskID: 1))
        #expect(kept.summary.status == .running, "a live runner's task is never touched")
        #expect(try await store.task(workflow: "wf", taskID: 3)?.summary.status == .created)
        #expect(try await store.heartbeat(runner: "dead", at: 42) == false, "the lost runner was removed")
        #expect(try await store.failLostRunners(heartbeatBefore: 30, requeue: [], at: 43).isEmpty, "each lost task fails once")
        try await close()
    }

    @Test("a lost runner's task of a requeue workflow starts a new attempt; a task running for a runner never registered is lost too",
          arguments: StoreKind.allCases)
    func lostTasksRequeueAndUnregistered(kind: StoreKind) async throws {
        let (store, close) = try await kind.open()
        _ = try await store.createTask(Tasks.new(workflow: "again"))
        _ = try await store.claimTasks(RunLimits(total: 1), runner: "gone", at: 10)
        try await store.removeRunner("gone")
        let lost = try await store.failLostRunners(heartbeatBefore: 5, requeue: ["again"], at: 20)
        #expect(lost.map(\.runner) == ["gone"])
        #expect(lost.first?.task.status == .created)
        let task = try #require(try await store.task(workflow: "again", taskID: 1))
        #expect(task.summary.status == .created && task.attempt == 2)
        #expect(task.attempts.first?.status == .failed)
        try await close()
    }
}
