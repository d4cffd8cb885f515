import Testing
import TrestleCore

@Suite("Task progress: what runs next and how a task ends, decided without I/O")
struct TaskProgressTests {
    static func stage(_ name: String, _ statuses: [TaskStatus]) -> StageRecord {
        StageRecord(name: name, status: .created, jobs: statuses.enumerated().map { index, status in
            JobRecord(name: "\(name)-\(index)", kind: name == "deploy" ? .deploy : .build, target: "t\(index)", status: status)
        })
    }

    @Test("a fresh task starts every job of its first stage, together")
    func startsFirstStage() {
        let stages = [Self.stage("build", [.created, .created]), Self.stage("deploy", [.created])]
        #expect(TaskProgress.next(stages) == .start(stage: 0, jobs: [0, 1]))
    }

    @Test("the next stage starts only when every job of the one before passed")
    func stagesInSequence() {
        #expect(TaskProgress.next([Self.stage("build", [.passed, .running]), Self.stage("deploy", [.created])]) == .wait)
        #expect(TaskProgress.next([Self.stage("build", [.passed, .passed]), Self.stage("deploy", [.created])])
            == .start(stage: 1, jobs: [0]))
        #expect(TaskProgress.next([Self.stage("build", [.passed]), Self.stage("deploy", [.passed])]) == .finish(.passed))
    }

    @Test("a job that did not pass ends the task once its stage's other jobs ended, and nothing new starts",
          arguments: [TaskStatus.failed, .timeout, .cancelled])
    func failureEndsTask(ended: TaskStatus) {
        let stages = [Self.stage("build", [ended, .running, .created]), Self.stage("deploy", [.created])]
        #expect(TaskProgress.next(stages) == .wait)
        let settled = [Self.stage("build", [ended, .passed, .created]), Self.stage("deploy", [.created])]
        #expect(TaskProgress.next(settled) == .finish(ended))
    }

    @Test("a timeout explains a task better than a cancel, and a cancel better than a failure")
    func worstStatusWins() {
        #expect(TaskProgress.next([Self.stage("build", [.failed, .timeout, .cancelled])]) == .finish(.timeout))
        #expect(TaskProgress.next([Self.stage("build", [.failed, .cancelled])]) == .finish(.cancelled))
    }

    @Test("a restarted attempt skips the jobs that passed and runs the rest")
    func restartRunsOnlyWhatFailed() {
        let previous = [Self.stage("build", [.passed, .failed]), Self.stage("deploy", [.created])]
        let restarted = TaskPlanner.restartStages(from: previous)
        #expect(TaskProgress.next(restarted) == .start(stage: 0, jobs: [1]))
    }

    @Test("a job's status sets its stage's status and times")
    func updatingDerivesStage() {
        var stages = [Self.stage("build", [.created, .created])]
        stages = TaskProgress.updating(stages, stage: 0, job: 0, to: .running, at: 10)
        #expect(stages[0].status == .running && stages[0].startTime == 10 && stages[0].jobs[0].startTime == 10)
        stages = TaskProgress.updating(stages, stage: 0, job: 0, to: .passed, at: 12)
        #expect(stages[0].status == .running, "one job has not run yet")
        stages = TaskProgress.updating(stages, stage: 0, job: 1, to: .running, at: 12)
        stages = TaskProgress.updating(stages, stage: 0, job: 1, to: .failed, at: 15, error: "exit 1")
        #expect(stages[0].status == .failed && stages[0].endTime == 15)
        #expect(stages[0].jobs[1].error == "exit 1" && stages[0].jobs[1].endTime == 15)
    }

    @Test("ending an attempt early gives running jobs the status and reason, and marks the rest as not run")
    func endingEarly() {
        let stages = [Self.stage("build", [.passed, .running]), Self.stage("deploy", [.created])]
        let ended = TaskProgress.ending(stages, as: .failed, reason: "executor restarted", at: 20)
        #expect(ended[0].jobs.map(\.status) == [.passed, .failed])
        #expect(ended[0].jobs[1].error == "executor restarted")
        #expect(ended[1].jobs[0].status == .cancelled)
        #expect(ended[1].jobs[0].error == "not run: executor restarted")
        #expect(ended.allSatisfy { $0.status.isFinal })
    }

    @Test("task data reaches a job as variables; the server's own secrets never do")
    func environment() {
        let commit = CommitID(String(repeating: "ab", count: 20))!
        let arguments = TaskArguments(targets: [TargetArguments(name: "vote", serviceType: .helm, build: BuildArguments(repos: [
            RepoArguments(repoName: "voting-app", branch: "$(rm -rf /)", pr: 7, commitID: commit),
        ]))], releaseImages: [])
        let task = TaskRecord(summary: TaskSummary(taskID: 42, workflow: "wf", project: "p", status: .running,
                                                   createTime: 1, startTime: 2, endTime: 0),
                              env: "dev", trigger: TaskTrigger(kind: .api, by: "t"), arguments: arguments, attempt: 2, attempts: [])
        let job = JobRecord(name: "build-vote", kind: .build, target: "vote", status: .running)
        let variables = JobEnvironment.variables(task: task, job: job, stage: "build", serviceType: .k8s, workspace: "/w",
                                                 image: nil, imageFile: "/w/.trestle-image",
                                                 server: ["PATH": "/bin", "TRESTLE_TOKEN": "secret", "HOME": "/root"])
        #expect(variables["BRANCH"] == "$(rm -rf /)")
        #expect(variables["PR"] == "7" && variables["COMMIT_SHA"] == commit.hex && variables["REPO_NAME"] == "voting-app")
        #expect(variables["TRESTLE_TASK_ID"] == "42" && variables["TRESTLE_ATTEMPT"] == "2")
        #expect(variables["SERVICE_TYPE"] == "helm", "the task's own service type wins over the config's")
        #expect(variables["WORKSPACE"] == "/w" && variables["ENV_NAME"] == "dev" && variables["WORKFLOW_NAME"] == "wf")
        #expect(variables["PATH"] == "/bin" && variables["HOME"] == "/root")
        #expect(variables["TRESTLE_TOKEN"] == nil)
    }

    @Test("a job starts once the jobs it needs have settled; a job allowed to fail does not fail its stage")
    func needsAndAllowedFailures() {
        let rules = JobRules(needs: ["test-1": ["test-0"]], allowedToFail: ["test-2"])
        var stages = [Self.stage("test", [.created, .created, .created])]
        #expect(TaskProgress.next(stages, rules: rules) == .start(stage: 0, jobs: [0, 2]))
        stages = TaskProgress.updating(stages, stage: 0, job: 0, to: .running, at: 1, rules: rules)
        stages = TaskProgress.updating(stages, stage: 0, job: 2, to: .running, at: 1, rules: rules)
        #expect(TaskProgress.next(stages, rules: rules) == .wait)
        stages = TaskProgress.updating(stages, stage: 0, job: 2, to: .failed, at: 2, rules: rules)
        #expect(TaskProgress.next(stages, rules: rules) == .wait, "an allowed failure blocks nothing")
        stages = TaskProgress.updating(stages, stage: 0, job: 0, to: .passed, at: 3, rules: rules)
        #expect(TaskProgress.next(stages, rules: rules) == .start(stage: 0, jobs: [1]))
        stages = TaskProgress.updating(stages, stage: 0, job: 1, to: .running, at: 4, rules: rules)
        stages = TaskProgress.updating(stages, stage: 0, job: 1, to: .passed, at: 5, rules: rules)
        #expect(stages[0].status == .passed)
        #expect(TaskProgress.next(stages, rules: rules) == .finish(.passed))
    }

    @Test("a job whose needed job failed never starts, and the task fails")
    func failedNeedStopsDependents() {
        let rules = JobRules(needs: ["test-1": ["test-0"]])
        let stages = [Self.stage("test", [.failed, .created])]
        #expect(TaskProgress.next(stages, rules: rules) == .finish(.failed))
        let skipped = TaskProgress.skippingRest(stages, after: 0)
        #expect(skipped[0].jobs[1].error == "not run: stage 'test' did not pass")
    }
}
