/// A create request checked against the config: the workflow it runs and the task's arguments.
public struct ValidatedTaskRequest: Sendable {
    public var workflow: WorkflowConfig
    public var env: String
    public var arguments: TaskArguments

    public func newTask(trigger: TaskTrigger, createTime: Int64) -> NewTask {
        NewTask(workflow: workflow.name, project: workflow.project, env: env, trigger: trigger,
                arguments: arguments, stages: TaskPlanner.stages(for: arguments, adding: workflow.stages), createTime: createTime)
    }
}

public enum CreateTaskValidation {
    /// Every problem of the request, each naming the field and what to send instead.
    public static func validate(_ request: CreateTaskRequest, config: TrestleConfig) throws(TaskOperationFailure) -> ValidatedTaskRequest {
        var problems: [String] = []
        guard let workflowName = request.workflowName, !workflowName.isEmpty else {
            throw .invalidRequest(["workflow_name is required"])
        }
        guard let workflow = config.workflow(named: workflowName) else {
            let known = config.workflows.map(\.name).joined(separator: ", ")
            throw .invalidRequest(["workflow_name: workflow '\(workflowName)' is not configured (configured: \(known))"])
        }
        let env = validEnv(request.envName, workflow: workflow, problems: &problems)
        let targets = (request.targets ?? []).enumerated().compactMap { index, target in
            validTarget(target, path: "targets[\(index)]", workflow: workflow, problems: &problems)
        }
        let images = (request.releaseImages ?? []).enumerated().compactMap { index, image in
            validImage(image, path: "release_images[\(index)]", workflow: workflow, problems: &problems)
        }
        if (request.targets ?? []).isEmpty && (request.releaseImages ?? []).isEmpty {
            problems.append("give at least one of targets and release_images")
        }
        var seen = Set<String>()
        for target in targets where !seen.insert(target.name).inserted {
            problems.append("targets: target '\(target.name)' is listed twice")
        }
        guard problems.isEmpty, let env else { throw .invalidRequest(problems) }
        return ValidatedTaskRequest(workflow: workflow, env: env,
                                    arguments: TaskArguments(targets: targets, releaseImages: images))
    }

    private static func validEnv(_ name: String?, workflow: WorkflowConfig, problems: inout [String]) -> String? {
        guard let name, !name.isEmpty else {
            problems.append("env_name is required")
            return nil
        }
        guard Names.isValid(name) else {
            problems.append("env_name: '\(name)' is not a valid env name (\(Names.rule))")
            return nil
        }
        if !workflow.envs.isEmpty && !workflow.envs.contains(name) {
            problems.append("env_name: env '\(name)' is not allowed for workflow '\(workflow.name)' (allowed: \(workflow.envs.joined(separator: ", ")))")
            return nil
        }
        return name
    }

    private static func validTarget(_ target: CreateTaskRequest.Target, path: String, workflow: WorkflowConfig,
                                    problems: inout [String]) -> TargetArguments? {
        guard let name = target.name, !name.isEmpty else {
            problems.append("\(path).name is required")
            return nil
        }
        guard let config = workflow.target(named: name) else {
            problems.append("\(path).name: target '\(name)' is not a target of workflow '\(workflow.name)' (targets: \(workflow.targets.map(\.name).joined(separator: ", ")))")
            return nil
        }
        var serviceType = config.serviceType
        if let text = target.serviceType, !text.isEmpty {
            if let given = ServiceType(rawValue: text), given == config.serviceType {
                serviceType = given
            } else if ServiceType(rawValue: text) == nil {
                problems.append("\(path).service_type: '\(text)' is not k8s or helm")
            } else {
                problems.append("\(path).service_type: target '\(name)' is deployed as \(config.serviceType.rawValue), not \(text)")
            }
        }
        guard let repos = target.build?.repos, !repos.isEmpty else {
            problems.append("\(path).build.repos is required: list the repos to build with repo_name and branch")
            return nil
        }
        let validRepos = repos.enumerated().compactMap { index, repo in
            validRepo(repo, path: "\(path).build.repos[\(index)]", target: config, problems: &problems)
        }
        guard validRepos.count == repos.count else { return nil }
        return TargetArguments(name: name, serviceType: serviceType, build: BuildArguments(repos: validRepos))
    }

    private static func validRepo(_ repo: CreateTaskRequest.Repo, path: String, target: TargetConfig,
                                  problems: inout [String]) -> RepoArguments? {
        let before = problems.count
        let name = repo.repoName ?? ""
        if name.isEmpty {
            problems.append("\(path).repo_name is required")
        } else if !target.repos.contains(name) {
            problems.append("\(path).repo_name: repo '\(name)' is not built by target '\(target.name)' (its repos: \(target.repos.joined(separator: ", ")))")
        }
        let branch = repo.branch ?? ""
        if branch.isEmpty {
            problems.append("\(path).branch is required")
        } else if branch.utf8.count > 255 || branch.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            problems.append("\(path).branch: not a branch name (at most 255 characters, no control characters)")
        }
        let pr = repo.pr ?? 0
        if pr < 0 {
            problems.append("\(path).pr: \(pr) is not a merge request id; send 0 for a branch build")
        }
        var commit: CommitID?
        if let text = repo.commitID, !text.isEmpty {
            commit = CommitID(text)
            if commit == nil {
                problems.append("\(path).commit_id: '\(text.prefix(48))' is not a full 40-character hex commit id")
            }
        }
        guard problems.count == before else { return nil }
        return RepoArguments(repoName: name, branch: branch, pr: pr, commitID: commit)
    }

    private static func validImage(_ image: CreateTaskRequest.Image, path: String, workflow: WorkflowConfig,
                                   problems: inout [String]) -> ReleaseImage? {
        let before = problems.count
        let reference = image.image ?? ""
        if reference.isEmpty || reference.contains(where: { $0.isWhitespace }) {
            problems.append("\(path).image is required: an image reference such as registry/app:tag")
        }
        let service = image.serviceName ?? ""
        if service.isEmpty {
            problems.append("\(path).service_name is required")
        } else if workflow.target(named: service) == nil {
            problems.append("\(path).service_name: service '\(service)' is not a target of workflow '\(workflow.name)' (targets: \(workflow.targets.map(\.name).joined(separator: ", ")))")
        }
        guard problems.count == before else { return nil }
        return ReleaseImage(image: reference, serviceName: service)
    }
}
