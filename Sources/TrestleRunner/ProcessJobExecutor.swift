import Foundation
import TrestleCore
import TrestleGit
import TrestleStore

/// The jobs of a configured workflow: build, deploy and shell commands run as processes
/// (`JobProcess`), each in a fresh workspace with the task's repos checked out.
struct ProcessJobExecutor: JobExecutor {
    let task: TaskRecord
    let context: TaskRun.Context
    let workflow: WorkflowConfig
    /// Why the run is being stopped, once it is.
    let stopReason: @Sendable () -> StopReason?

    var timeout: Int { workflow.timeout }
    var rules: JobRules { JobRules(workflow) }

    func ended(_ status: TaskStatus, stages: [StageRecord]) async {}

    func run(stage: Int, job index: Int, stages: [StageRecord], taskDeadline: ContinuousClock.Instant) async -> JobOutcome {
        let job = stages[stage].jobs[index]
        let target = workflow.targets.first { $0.name == job.target }
        if job.kind == .deploy, let refusal = JobTrust.deployRefusal(origin: task.origin, target: target) {
            return JobOutcome(status: .passed, error: refusal)
        }
        let workspace: String
        let logPath: String
        do {
            workspace = try context.workspaces.path(workflow: workflow.name, taskID: task.summary.taskID, attempt: task.attempt,
                                                    job: job.name)
            logPath = try context.logs.path(workflow: workflow.name, taskID: task.summary.taskID, attempt: task.attempt, job: job.name)
            try context.workspaces.makeFresh(workspace)
        } catch {
            return JobOutcome(status: .failed, error: "cannot prepare the job: \(error)")
        }
        defer { context.workspaces.remove(workspace) }
        let command: String?
        var workingDirectory = workspace
        var image: String?
        var imageFile: String?
        var shellJob: ShellJobConfig?
        var repos: [String] = []
        switch job.kind {
        case .build:
            command = target?.build
            guard let arguments = task.arguments.targets.first(where: { $0.name == job.target }) else {
                return JobOutcome(status: .failed, error: "target '\(job.target)' is not in the task's arguments")
            }
            repos = arguments.build.repos.map(\.repoName)
            do {
                workingDirectory = try await context.workspaces.checkOut(arguments, into: workspace, mirrors: context.mirrors)
                    ?? workspace
            } catch {
                return JobOutcome(status: .failed, error: "cannot check out the sources: \(error)")
            }
            imageFile = URL(fileURLWithPath: workspace).appendingPathComponent(".trestle-image").path
        case .deploy:
            command = target?.deploy
            image = Self.image(for: job.target, stages: stages, releaseImages: task.arguments.releaseImages)
        case .function, .pass:
            return JobOutcome(status: .failed, error: "flow task '\(job.name)' runs only in a flow execution")
        case .shell:
            shellJob = workflow.stages.flatMap(\.jobs).first { $0.name == job.name }
            command = shellJob?.run
            guard shellJob != nil else {
                return JobOutcome(status: .failed, error: "job '\(job.name)' is no longer in workflow '\(workflow.name)' of the configuration")
            }
            // Every repo the task builds, each once, for tests and checks across them.
            var seen = Set<String>()
            let built = task.arguments.targets.flatMap(\.build.repos).filter { seen.insert($0.repoName).inserted }
            repos = built.map(\.repoName)
            do {
                workingDirectory = try await context.workspaces.checkOut(
                    TargetArguments(name: job.name, serviceType: .k8s, build: BuildArguments(repos: built)),
                    into: workspace, mirrors: context.mirrors) ?? workspace
            } catch {
                return JobOutcome(status: .failed, error: "cannot check out the sources: \(error)")
            }
        }
        guard let command, !command.isEmpty else {
            if target == nil {
                return JobOutcome(status: .failed, error: "target '\(job.target)' is not in workflow '\(workflow.name)' of the configuration")
            }
            return JobOutcome(status: .passed, error: "no \(job.kind.rawValue) command is configured for target '\(job.target)'; nothing to run")
        }
        do {
            try context.workspaces.handOver(workspace, to: context.isolation.runAs)
        } catch {
            return JobOutcome(status: .failed, error: "cannot prepare the job: \(error)")
        }
        let timeoutSeconds = shellJob?.timeout ?? target?.timeout ?? workflow.timeout
        let jobTimeout = Duration.seconds(timeoutSeconds)
        let jobDeadline = min(ContinuousClock.now + jobTimeout, taskDeadline)
        var environment = JobEnvironment.variables(task: task, job: job, stage: stages[stage].name,
                                                   serviceType: target?.serviceType, workspace: workspace, image: image,
                                                   imageFile: imageFile, server: context.serverEnvironment)
        if context.isolation.isolation == .bwrap {
            // The sandbox's own /tmp; the server's home is not in it.
            environment["HOME"] = "/tmp"
            environment["TMPDIR"] = "/tmp"
        }
        let secrets = await grantedSecrets()
        environment.merge(secrets) { _, secret in secret }
        let limits = JobLimits.effective(job: shellJob?.limits ?? target?.limits, workflow: workflow.limits,
                                         executor: context.config.executor.limits)
        let sandboxJob = Sandbox.Job(
            layout: SandboxLayout(root: "/", entries: []), workspace: workspace, workingDirectory: workingDirectory,
            mirrorObjects: repos.compactMap { context.mirrors[$0].map { $0.path + "/objects" } },
            network: shellJob?.network ?? target?.network ?? true, limits: limits, command: command)
        let started = context.isolation.command(sandboxJob, rootfs: job.kind == .shell ? nil : target?.rootfs)
        let process = JobCommand(process: started.process, environment: environment,
                                 masked: workflow.secrets.map(\.value.value), workingDirectory: started.workingDirectory,
                                 logPath: logPath, maxLogBytes: context.config.executor.maxLogBytes,
                                 logShipping: context.logStore.map { store in
                                     JobLogShipping(store: store, key: JobLogKey(workflow: workflow.name, taskID: task.summary.taskID,
                                                                                 attempt: task.attempt, job: job.name),
                                                    logger: context.logger)
                                 },
                                 deadline: jobDeadline, killGrace: .seconds(context.config.executor.killGrace))
        var outcome = await finish(job: job, process: process, limits: limits, taskDeadline: taskDeadline,
                                   workflow: workflow, timeoutSeconds: timeoutSeconds)
        guard job.kind == .build else {
            outcome.image = image
            return outcome
        }
        if outcome.status == .passed, let imageFile {
            switch ImageAnnouncement.read(imageFile) {
            case .success(let announced) where workflow.secrets.contains(where: { announced?.contains($0.value.value) == true }):
                // The image is stored in the task JSON: it must not carry a secret out of the job.
                outcome = JobOutcome(status: .failed, error: "the image announced in $TRESTLE_IMAGE_FILE contains a secret's value; refused")
            case .success(let announced): outcome.image = announced
            case .failure(let refused): outcome = JobOutcome(status: .failed, error: refused.message)
            }
        }
        return outcome
    }

    private func finish(job: JobRecord, process: JobCommand, limits: JobLimits, taskDeadline: ContinuousClock.Instant,
                        workflow: WorkflowConfig, timeoutSeconds: Int) async -> JobOutcome {
        let (end, tail) = await JobProcess.run(process)
        switch end {
        case .exited(0):
            return JobOutcome(status: .passed)
        case .exited(let code):
            // The sandbox reports a command killed by signal N as status 128 + N.
            let signal = code > 128 && code < 160 ? code - 128 : nil
            let said = signal.map { "was killed by signal \($0)" } ?? "exited with status \(code)"
            let limit = LimitDiagnosis.limitHit(signal: signal, output: tail, limits: limits).map { "; it hit \($0)" } ?? ""
            return JobOutcome(status: .failed, error: "the \(job.kind.rawValue) command \(said)\(limit)")
        case .signaled(let signal):
            let limit = LimitDiagnosis.limitHit(signal: signal, output: tail, limits: limits).map { "; it hit \($0)" } ?? ""
            return JobOutcome(status: .failed, error: "the \(job.kind.rawValue) command was killed by signal \(signal)\(limit)")
        case .timedOut:
            let reason = ContinuousClock.now >= taskDeadline
                ? "the task ran out of time (workflow timeout \(workflow.timeout) s)"
                : "the job ran out of time (\(job.kind == .shell ? "job" : "target") timeout \(timeoutSeconds) s)"
            return JobOutcome(status: .timeout, error: reason)
        case .stopped:
            switch stopReason() {
            case .shutdown: return JobOutcome(status: .failed, error: "the executor shut down while the job ran; restart the task")
            case .lost(let reason): return JobOutcome(status: .failed, error: reason)
            case .cancelled, nil: return JobOutcome(status: .cancelled, error: "cancelled while running")
            }
        case .couldNotStart(let reason):
            return JobOutcome(status: .failed, error: reason)
        }
    }

    /// The secrets the task's origin is granted, once each repo's commit is shown to be on the
    /// branch (or tag) the task claims; otherwise none, and the job's log says why.
    private func grantedSecrets() async -> [String: String] {
        let granted = JobTrust.secrets(workflow.secrets, for: task.origin)
        guard !granted.isEmpty else { return [:] }
        for claim in JobTrust.refsToVerify(task.origin, arguments: task.arguments)
        where !(await context.mirrors.isCommit(claim.commit, on: claim.ref, inRepo: claim.repo)) {
            context.logger.notice("secrets withheld: a commit is not on the ref its task names", metadata: [
                "workflow": "\(workflow.name)", "task": "\(task.summary.taskID)", "repo": "\(claim.repo)",
                "commit": "\(claim.commit.hex)", "ref": "\(claim.ref)",
            ])
            return [:]
        }
        return granted
    }

    /// The image a deploy uses: the one its target's build announced, else the task's release image for the service.
    static func image(for service: String, stages: [StageRecord], releaseImages: [ReleaseImage]) -> String? {
        let built = stages.flatMap(\.jobs).first { $0.kind == .build && $0.target == service && $0.status == .passed }?.image
        return built ?? releaseImages.first { $0.serviceName == service }?.image
    }
}
