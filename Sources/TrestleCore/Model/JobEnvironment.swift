/// The environment a job's command runs with. Task data (branch names, commit ids, images)
/// reaches commands only here, as variables, and never inside the command string, so a branch
/// named `$(touch /tmp/x)` is just text to the shell.
public enum JobEnvironment {
    /// Variables of the server's own environment a job inherits; nothing else is passed on,
    /// so the server's secrets (API and webhook tokens) never reach a job.
    public static let inherited = ["PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "USER", "LOGNAME", "SHELL", "TZ"]

    /// Names Trestle sets for every job (besides `TRESTLE_*` and `REPO_*`), which no secret may take.
    public static let reserved: Set<String> = ["CI", "WORKFLOW_NAME", "PROJECT_NAME", "ENV_NAME", "SERVICE_NAME", "WORKSPACE",
                                               "SERVICE_TYPE", "IMAGE", "REPO_NAME", "BRANCH", "PR", "COMMIT_SHA"]

    /// Every variable Trestle sets, documented in the README.
    public static func variables(task: TaskRecord, job: JobRecord, stage: String, serviceType: ServiceType?,
                                 workspace: String, image: String?, imageFile: String?,
                                 server: [String: String]) -> [String: String] {
        var variables: [String: String] = [:]
        for name in inherited {
            if let value = server[name] { variables[name] = value }
        }
        variables["PATH"] = variables["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        variables["CI"] = "true"
        variables["TRESTLE"] = "true"
        variables["TRESTLE_TASK_ID"] = String(task.summary.taskID)
        variables["TRESTLE_ATTEMPT"] = String(task.attempt)
        variables["TRESTLE_STAGE"] = stage
        variables["TRESTLE_JOB"] = job.name
        variables["WORKFLOW_NAME"] = task.summary.workflow
        variables["PROJECT_NAME"] = task.summary.project
        variables["ENV_NAME"] = task.env
        variables["SERVICE_NAME"] = job.target
        variables["WORKSPACE"] = workspace
        if let serviceType { variables["SERVICE_TYPE"] = serviceType.rawValue }
        variables["IMAGE"] = image ?? ""
        if let imageFile { variables["TRESTLE_IMAGE_FILE"] = imageFile }
        // A shell job belongs to no target: it gets the first target's repos.
        let target = task.arguments.targets.first { $0.name == job.target }
            ?? (job.kind == .shell ? task.arguments.targets.first : nil)
        if let target {
            if job.kind != .shell { variables["SERVICE_TYPE"] = target.serviceType.rawValue }
            let repos = target.build.repos
            if let first = repos.first {
                variables["REPO_NAME"] = first.repoName
                variables["BRANCH"] = first.branch
                variables["PR"] = String(first.pr)
                variables["COMMIT_SHA"] = first.commitID?.hex ?? ""
            }
            variables["TRESTLE_REPOS"] = repos.map(\.repoName).joined(separator: " ")
            for (index, repo) in repos.enumerated() {
                let n = index + 1
                variables["REPO_\(n)_NAME"] = repo.repoName
                variables["REPO_\(n)_BRANCH"] = repo.branch
                variables["REPO_\(n)_PR"] = String(repo.pr)
                variables["REPO_\(n)_COMMIT_SHA"] = repo.commitID?.hex ?? ""
            }
        }
        return variables
    }
}
