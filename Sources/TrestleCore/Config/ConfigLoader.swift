import Yams

/// Reads and validates a config file's text. Pure: the caller reads the file and the environment.
public enum ConfigLoader {
    public static let defaultMaxBodyBytes = 1_048_576
    public static let defaultTimeoutSeconds = 3600

    public static func parse(yaml: String, file: String, environment: [String: String]) throws(ConfigError) -> TrestleConfig {
        let log = ProblemLog(file: file)
        let root: Node
        do {
            try YAMLSafety.check(yaml)
            guard let node = try Yams.compose(yaml: yaml) else {
                throw ConfigError(problems: [ConfigProblem(file: file, path: "", line: nil,
                    message: "the file is empty; start from samples/trestle.yaml")])
            }
            root = node
        } catch let error as ConfigError {
            throw error
        } catch let error as YAMLSafetyError {
            throw ConfigError(problems: [ConfigProblem(file: file, path: "", line: error.line, message: error.reason)])
        } catch {
            throw ConfigError(problems: [ConfigProblem(file: file, path: "", line: nil,
                message: "not valid YAML: \(String("\(error)".prefix(400)))")])
        }
        let cursor = YAMLCursor(node: root, path: "", log: log, environment: environment)
        let config = readConfig(cursor)
        guard let config, log.problems.isEmpty else {
            throw ConfigError(problems: log.problems)
        }
        return config
    }

    private static func readConfig(_ cursor: YAMLCursor) -> TrestleConfig? {
        guard let top = cursor.mapping(allowed: ["server", "storage", "data_dir", "auth", "mirrors", "executor", "gitlab", "repos", "workflows", "flows", "ui"]) else {
            return nil
        }
        let dataDir = top.optionalString("data_dir") ?? ".trestle"
        let server = readServer(top.required("server", hint: "{ listen: \"127.0.0.1:8080\" }"))
        let storage = readStorage(top.value("storage"), dataDir: dataDir)
        let auth = readAuth(top.required("auth", hint: "{ tokens: [...] }"))
        let mirrors = readMirrors(top.value("mirrors"))
        let executor = readExecutor(top.value("executor"))
        let gitlab = readGitLab(top.value("gitlab"))
        let repos = readRepos(top.value("repos"))
        let workflows = readWorkflows(top.value("workflows"), repos: repos)
        guard let server else { return nil }
        var config = TrestleConfig(server: server, storage: storage, dataDir: dataDir, auth: auth,
                                   mirrors: mirrors, executor: executor, repos: repos, workflows: workflows)
        config.gitlab = gitlab
        config.flows = readFlows(top.value("flows"))
        config.ui = readUI(top.value("ui"))
        return config
    }

    private static func readUI(_ cursor: YAMLCursor?) -> UIConfig {
        guard let cursor, let map = cursor.mapping(allowed: ["public_read"]) else { return UIConfig() }
        return UIConfig(publicRead: map.value("public_read")?.bool() ?? false)
    }

    private static func readFlows(_ cursor: YAMLCursor?) -> FlowsConfig {
        let defaults = FlowsConfig()
        guard let cursor, let map = cursor.mapping(allowed: ["allowed_urls", "concurrency", "max_parallel"]) else {
            return defaults
        }
        var patterns: [String] = []
        for item in map.value("allowed_urls")?.list() ?? [] {
            guard let pattern = item.string() else { continue }
            guard pattern.hasPrefix("http://") || pattern.hasPrefix("https://"), !pattern.contains(" "), !pattern.contains("@") else {
                item.problem("'\(pattern)' is not an http(s) URL pattern; write e.g. \"https://functions.internal/*\" (* matches anything)")
                continue
            }
            patterns.append(pattern)
        }
        return FlowsConfig(allowedURLs: patterns,
                           concurrency: map.value("concurrency")?.int(in: 1...1_000) ?? defaults.concurrency,
                           maxParallel: map.value("max_parallel")?.int(in: 1...10_000) ?? defaults.maxParallel)
    }

    private static func readMirrors(_ cursor: YAMLCursor?) -> MirrorsConfig {
        let defaults = MirrorsConfig()
        guard let cursor, let map = cursor.mapping(allowed: ["refresh_interval", "fetch_timeout", "repack_after_fetches"]) else {
            return defaults
        }
        return MirrorsConfig(
            refreshInterval: map.value("refresh_interval")?.int(in: 0...86_400) ?? defaults.refreshInterval,
            fetchTimeout: map.value("fetch_timeout")?.int(in: 1...3_600) ?? defaults.fetchTimeout,
            repackAfterFetches: map.value("repack_after_fetches")?.int(in: 1...10_000) ?? defaults.repackAfterFetches)
    }

    private static func readExecutor(_ cursor: YAMLCursor?) -> ExecutorConfig {
        let defaults = ExecutorConfig()
        guard let cursor, let map = cursor.mapping(allowed: ["concurrency", "kill_grace", "max_log_bytes", "lease_seconds", "isolation", "run_as", "limits"]) else {
            return defaults
        }
        var executor = ExecutorConfig(
            concurrency: map.value("concurrency")?.int(in: 0...1_000) ?? defaults.concurrency,
            killGrace: map.value("kill_grace")?.int(in: 1...600) ?? defaults.killGrace,
            maxLogBytes: map.value("max_log_bytes")?.int(in: 1_024...(1 << 34)) ?? defaults.maxLogBytes)
        executor.leaseSeconds = map.value("lease_seconds")?.int(in: RunnerLease.allowedSeconds) ?? defaults.leaseSeconds
        executor.isolation = map.value("isolation")?.oneOf(JobIsolation.self) ?? defaults.isolation
        if let value = map.value("run_as"), let text = value.string() {
            if let runAs = RunAs(parsing: text) {
                executor.runAs = runAs
            } else {
                value.problem("'\(text)' is not a user id other than root; write e.g. run_as: 65534 or run_as: \"1000:1000\"")
            }
        }
        if let limits = readLimits(map.value("limits")) {
            executor.limits = limits.over(JobLimits.defaults)
        }
        return executor
    }

    /// `limits: { memory_mb, pids, cpu_seconds, file_size_mb, open_files }`.
    private static func readLimits(_ cursor: YAMLCursor?) -> JobLimits? {
        guard let cursor, let map = cursor.mapping(allowed: ["memory_mb", "pids", "cpu_seconds", "file_size_mb", "open_files"]) else {
            return nil
        }
        return JobLimits(memoryMB: map.value("memory_mb")?.int(in: 16...(1 << 24)),
                         pids: map.value("pids")?.int(in: 8...(1 << 22)),
                         cpuSeconds: map.value("cpu_seconds")?.int(in: 1...(1 << 30)),
                         fileSizeMB: map.value("file_size_mb")?.int(in: 1...(1 << 30)),
                         openFiles: map.value("open_files")?.int(in: 16...(1 << 20)))
    }

    /// A root filesystem directory for a target's jobs: an absolute path that climbs nowhere.
    private static func readRootfs(_ cursor: YAMLCursor?) -> String? {
        guard let cursor, let text = cursor.string() else { return nil }
        let parts = text.split(separator: "/")
        guard text.hasPrefix("/"), !parts.isEmpty, !parts.contains(".."), !parts.contains(".") else {
            cursor.problem("'\(text)' is not an absolute directory other than /; write e.g. rootfs: /srv/images/debian-12")
            return nil
        }
        var path = text
        while path.hasSuffix("/") { path.removeLast() }
        return path
    }

    private static let secretKeys = ["name", "value", "branches", "tags", "events", "merge_requests"]

    /// `secrets: [{ name: REGISTRY_TOKEN, value: "${REGISTRY_TOKEN}", branches: [main], events: [push, tag_push, api] }]`.
    private static func readSecrets(_ cursor: YAMLCursor?) -> [JobSecret] {
        guard let cursor else { return [] }
        var names = Set<String>()
        return cursor.list().compactMap { item -> JobSecret? in
            guard let map = item.mapping(allowed: secretKeys) else { return nil }
            let name = map.requiredString("name", hint: "REGISTRY_TOKEN")
            if let name, !JobSecret.isValidName(name) {
                map.value("name")?.problem("'\(name)' is not an environment variable name of Trestle's jobs to set; use capitals, digits and _ (not PATH, HOME, CI or TRESTLE_*)")
            }
            let value = environmentSecret(map.required("value", hint: "\"${REGISTRY_TOKEN}\""), example: "value: \"${REGISTRY_TOKEN}\"")
            if let value, value.value.utf8.count < JobSecret.minimumLength {
                map.value("value")?.problem("the value is shorter than \(JobSecret.minimumLength) characters; masking it in job logs would garble them, so use a longer secret")
            }
            guard let name, JobSecret.isValidName(name), let value, value.value.utf8.count >= JobSecret.minimumLength else { return nil }
            if !names.insert(name).inserted {
                item.problem("secret '\(name)' is given twice; give each secret once")
            }
            var secret = JobSecret(name: name, value: value)
            secret.branches = patterns(map, "branches")
            secret.tags = patterns(map, "tags")
            secret.mergeRequests = map.value("merge_requests")?.bool() ?? false
            if let list = map.value("events") {
                secret.events = list.list().compactMap { $0.oneOf(TaskOrigin.Event.self) }
                if !secret.mergeRequests, secret.events.contains(where: { $0 == .mergeRequest || $0 == .note }) {
                    list.problem("merge request and note tasks run proposed code; add merge_requests: true to give them secret '\(name)', or drop those events")
                }
            } else if secret.mergeRequests {
                secret.events = JobSecret.defaultEvents + [.mergeRequest, .note]
            }
            return secret
        }
    }

    private static func readGitLab(_ cursor: YAMLCursor?) -> GitLabConfig? {
        guard let cursor, let map = cursor.mapping(allowed: ["url", "token", "merge_request_notes"]) else { return nil }
        let url = map.required("url", hint: "\"https://gitlab.example.com\"").flatMap { httpURL($0, example: "https://gitlab.example.com") }
        let token = environmentSecret(map.required("token", hint: "\"${GITLAB_TOKEN}\""), example: "token: \"${GITLAB_TOKEN}\"")
        guard let url, let token else { return nil }
        return GitLabConfig(url: url, token: token, mergeRequestNotes: map.value("merge_request_notes")?.bool() ?? false)
    }

    /// An http(s) URL without trailing slashes.
    private static func httpURL(_ cursor: YAMLCursor, example: String) -> String? {
        guard let text = cursor.string() else { return nil }
        guard (text.hasPrefix("http://") || text.hasPrefix("https://")) && !text.contains(" ") && text.count > 8 else {
            cursor.problem("'\(text)' is not an http(s) URL; write e.g. \"\(example)\"")
            return nil
        }
        var trimmed = text
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        return trimmed
    }

    private static func readServer(_ cursor: YAMLCursor?) -> ServerConfig? {
        guard let cursor, let map = cursor.mapping(allowed: ["listen", "external_url", "max_body_bytes", "max_webhook_bytes", "body_timeout",
                                                             "idle_timeout", "session_secret"]) else { return nil }
        var listen = ListenAddress(host: "127.0.0.1", port: 8080)
        if let value = map.value("listen"), let text = value.string() {
            if let parsed = ListenAddress(parsing: text) {
                listen = parsed
            } else {
                value.problem("'\(text)' is not HOST:PORT; write e.g. \"127.0.0.1:8080\" or \"[::1]:8080\"")
            }
        }
        var externalURL: String?
        if let value = map.value("external_url") {
            externalURL = httpURL(value, example: "https://ci.example.com")
        }
        let maxBody = map.value("max_body_bytes")?.int(in: 1024...1_073_741_824) ?? defaultMaxBodyBytes
        let maxWebhook = map.value("max_webhook_bytes")?.int(in: 1024...1_073_741_824) ?? 10 << 20
        var server = ServerConfig(listen: listen, externalURL: externalURL, maxBodyBytes: maxBody, maxWebhookBytes: maxWebhook)
        server.bodyTimeout = map.value("body_timeout")?.int(in: 1...3_600) ?? server.bodyTimeout
        server.idleTimeout = map.value("idle_timeout")?.int(in: 1...86_400) ?? server.idleTimeout
        server.sessionSecret = environmentSecret(map.value("session_secret"), example: "session_secret: \"${TRESTLE_SESSION_SECRET}\"")
        if let secret = server.sessionSecret, secret.value.utf8.count < 16, let value = map.value("session_secret") {
            value.problem("the session secret is shorter than 16 bytes; use e.g. `openssl rand -hex 32`")
        }
        return server
    }

    private static func readStorage(_ cursor: YAMLCursor?, dataDir: String) -> StorageConfig {
        let defaultPath = dataDir + "/trestle.sqlite"
        guard let cursor, let map = cursor.mapping(allowed: ["sqlite", "synchronous", "postgres"]) else {
            return StorageConfig(sqlitePath: defaultPath, synchronous: .normal)
        }
        let path = map.optionalString("sqlite") ?? defaultPath
        let synchronous = map.value("synchronous")?.oneOf(SQLiteSynchronous.self) ?? .normal
        var storage = StorageConfig(sqlitePath: path, synchronous: synchronous)
        if let postgres = map.value("postgres") {
            if map.value("sqlite") != nil || map.value("synchronous") != nil {
                cursor.problem("give either storage.sqlite (one machine) or storage.postgres (several), not both")
            }
            if let fields = postgres.mapping(allowed: ["url", "pool_size"]) {
                let url = environmentSecret(fields.required("url", hint: "\"${DATABASE_URL}\""), example: "url: \"${DATABASE_URL}\"")
                if let url, !(url.value.hasPrefix("postgres://") || url.value.hasPrefix("postgresql://")) {
                    fields.value("url")?.problem("the URL it names is not postgres://USER:PASSWORD@HOST:PORT/DATABASE; set it to one")
                }
                let pool = fields.value("pool_size")?.int(in: 1...1_000) ?? 16
                if let url { storage.postgres = PostgresStorageConfig(url: url, poolSize: pool) }
            }
        }
        return storage
    }

    private static func readAuth(_ cursor: YAMLCursor?) -> AuthConfig {
        guard let cursor, let map = cursor.mapping(allowed: ["tokens"]) else { return AuthConfig(tokens: []) }
        guard let list = map.required("tokens", hint: "[{ name: scripts, token: \"${TRESTLE_TOKEN}\", scopes: [read, trigger] }]") else {
            return AuthConfig(tokens: [])
        }
        var names = Set<String>()
        var secrets = Set<TokenSecret>()
        let tokens = list.list().compactMap { item -> APIToken? in
            guard let token = readToken(item) else { return nil }
            if !names.insert(token.name).inserted {
                item.problem("token name '\(token.name)' is used twice; give each token its own name")
            }
            if !secrets.insert(token.secret).inserted {
                item.problem("token '\(token.name)' has the same secret as an earlier token; give each token its own secret")
            }
            return token
        }
        return AuthConfig(tokens: tokens)
    }

    private static func readToken(_ cursor: YAMLCursor) -> APIToken? {
        guard let map = cursor.mapping(allowed: ["name", "token", "token_sha256", "scopes"]) else { return nil }
        let name = map.requiredString("name", hint: "scripts")
        let secret: TokenSecret?
        switch (map.value("token"), map.value("token_sha256")) {
        case (let token?, nil):
            if let raw = token.rawScalar, EnvironmentInterpolation.soleReference(in: raw) == nil {
                token.problem("the token must come from the environment, not the file; write token: \"${TRESTLE_TOKEN}\" or token_sha256: <sha256 hex of the token>")
                secret = nil
            } else if let value = token.string() {
                if value.isEmpty {
                    token.problem("the environment variable it names is empty; set it to the token")
                    secret = nil
                } else {
                    secret = .plain(Secret(value))
                }
            } else {
                secret = nil
            }
        case (nil, let hash?):
            if let text = hash.string(), text.utf8.count == 64, let lowered = HexText.lowercased(text) {
                secret = .sha256Hex(lowered)
            } else {
                hash.problem("expected 64 hex characters; write the output of: printf %s \"$TOKEN\" | sha256sum")
                secret = nil
            }
        case (nil, nil):
            cursor.problem("missing key 'token'; write token: \"${TRESTLE_TOKEN}\" or token_sha256: <sha256 hex>")
            secret = nil
        case (_?, _?):
            cursor.problem("give either 'token' or 'token_sha256', not both")
            secret = nil
        }
        var scopes = Set<Scope>()
        if let list = map.required("scopes", hint: "[read, trigger]") {
            for item in list.list() {
                if let scope = item.oneOf(Scope.self) { scopes.insert(scope) }
            }
            if scopes.isEmpty && list.node.sequence != nil {
                list.problem("a token needs at least one scope; write scopes: [read] (or trigger, admin)")
            }
        }
        guard let name, let secret else { return nil }
        return APIToken(name: name, secret: secret, scopes: scopes)
    }

    private static func readRepos(_ cursor: YAMLCursor?) -> [RepoConfig] {
        guard let cursor else { return [] }
        var names = Set<String>()
        return cursor.list().compactMap { item -> RepoConfig? in
            guard let map = item.mapping(allowed: ["name", "url", "gitlab_project", "gitlab_project_id", "webhook_token", "token", "ssh_key"]) else {
                return nil
            }
            let name = validName(map, key: "name", hint: "voting-app")
            let url = map.requiredString("url", hint: "\"https://gitlab.example.com/group/project.git\"")
            let project = map.optionalString("gitlab_project")
            let webhookToken = environmentSecret(map.value("webhook_token"), example: "webhook_token: \"${TRESTLE_WEBHOOK_TOKEN}\"")
            let token = environmentSecret(map.value("token"), example: "token: \"${GITLAB_TOKEN}\"")
            let sshKey = map.optionalString("ssh_key")
            if token != nil && sshKey != nil {
                item.problem("give either 'token' (HTTPS) or 'ssh_key' (SSH), not both")
            }
            guard let name, let url else { return nil }
            if !names.insert(name).inserted {
                item.problem("repo name '\(name)' is used twice; each repo needs its own name")
            }
            var repo = RepoConfig(name: name, url: url, gitlabProject: project, webhookToken: webhookToken,
                                  token: token, sshKey: sshKey)
            repo.gitlabProjectID = map.value("gitlab_project_id")?.int(in: 1...Int(Int32.max))
            return repo
        }
    }

    /// A secret that must be a `${VAR}` reference, never text in the file.
    private static func environmentSecret(_ cursor: YAMLCursor?, example: String) -> Secret? {
        guard let cursor else { return nil }
        if let raw = cursor.rawScalar, EnvironmentInterpolation.soleReference(in: raw) == nil {
            cursor.problem("secrets must come from the environment, not the file; write \(example)")
            return nil
        }
        guard let value = cursor.string() else { return nil }
        if value.isEmpty {
            cursor.problem("the environment variable it names is empty; set it to the secret")
            return nil
        }
        return Secret(value)
    }

    private static func readWorkflows(_ cursor: YAMLCursor?, repos: [RepoConfig]) -> [WorkflowConfig] {
        guard let cursor else { return [] }
        var names = Set<String>()
        let repoNames = Set(repos.map(\.name))
        return cursor.list().compactMap { item -> WorkflowConfig? in
            guard let map = item.mapping(allowed: ["name", "project", "env", "envs", "timeout", "concurrency", "requeue_interrupted", "targets",
                                              "stages", "triggers", "limits", "secrets"]) else {
                return nil
            }
            let name = validName(map, key: "name", hint: "voting-workflow-dev")
            let project = validName(map, key: "project", hint: "voting")
            let env = map.value("env").flatMap { validName($0, hint: "dev") }
            let envs = map.value("envs")?.list().compactMap { validName($0, hint: "dev") } ?? []
            let timeout = map.value("timeout")?.int(in: 1...604_800) ?? defaultTimeoutSeconds
            let concurrency = map.value("concurrency")?.int(in: 1...1_000)
            let targets = readTargets(map.required("targets", hint: "[{ name: vote, repos: [voting-app], build: \"make\" }]"),
                                      repoNames: repoNames)
            let triggers = readTriggers(map.value("triggers"), repoNames: repoNames, targets: targets)
            let stages = readStages(map.value("stages"), targets: targets)
            if let env, !envs.isEmpty, !envs.contains(env) {
                map.value("env")?.problem("'\(env)' is not in envs \(envs); add it there")
            }
            guard let name, let project else { return nil }
            if !names.insert(name).inserted {
                item.problem("workflow name '\(name)' is used twice; each workflow needs its own name")
            }
            var workflow = WorkflowConfig(name: name, project: project, env: env, envs: envs, timeout: timeout,
                                          concurrency: concurrency, targets: targets, stages: stages, triggers: triggers)
            workflow.requeueInterrupted = map.value("requeue_interrupted")?.bool() ?? false
            workflow.limits = readLimits(map.value("limits"))
            workflow.secrets = readSecrets(map.value("secrets"))
            return workflow
        }
    }

    private static func readTargets(_ cursor: YAMLCursor?, repoNames: Set<String>) -> [TargetConfig] {
        guard let cursor else { return [] }
        var names = Set<String>()
        let targets = cursor.list().compactMap { item -> TargetConfig? in
            guard let map = item.mapping(allowed: ["name", "service_type", "repos", "build", "deploy", "timeout", "rootfs", "network",
                                                   "limits", "deploy_merge_requests"]) else {
                return nil
            }
            let name = validName(map, key: "name", hint: "vote")
            let serviceType = map.value("service_type")?.oneOf(ServiceType.self) ?? .k8s
            var repos: [String] = []
            for entry in map.value("repos")?.list() ?? [] {
                guard let repo = entry.string() else { continue }
                if !repoNames.contains(repo) {
                    entry.problem("repo '\(repo)' is not declared under repos; declare it or fix the name")
                }
                repos.append(repo)
            }
            let timeout = map.value("timeout")?.int(in: 1...604_800) ?? defaultTimeoutSeconds
            guard let name else { return nil }
            if !names.insert(name).inserted {
                item.problem("target name '\(name)' is used twice in this workflow")
            }
            var target = TargetConfig(name: name, serviceType: serviceType, repos: repos,
                                      build: map.optionalString("build"), deploy: map.optionalString("deploy"), timeout: timeout)
            target.rootfs = readRootfs(map.value("rootfs"))
            target.network = map.value("network")?.bool() ?? true
            target.limits = readLimits(map.value("limits"))
            target.deployMergeRequests = map.value("deploy_merge_requests")?.bool() ?? false
            return target
        }
        if targets.isEmpty && cursor.node.sequence != nil {
            cursor.problem("a workflow needs at least one target")
        }
        return targets
    }

    private static func readStages(_ cursor: YAMLCursor?, targets: [TargetConfig]) -> [StageConfig] {
        guard let cursor else { return [] }
        var stageNames: Set<String> = ["build", "deploy"]
        var jobNames = Set(targets.flatMap { ["build-\($0.name)", "deploy-\($0.name)"] })
        return cursor.list().compactMap { item -> StageConfig? in
            guard let map = item.mapping(allowed: ["name", "after", "jobs"]) else { return nil }
            let name = validName(map, key: "name", hint: "test")
            if let name, !stageNames.insert(name).inserted {
                map.value("name")?.problem("stage name '\(name)' is taken (build and deploy are the workflow's own); name it differently")
            }
            let after = map.value("after")?.oneOf(StageConfig.Placement.self) ?? .build
            var jobs: [ShellJobConfig] = []
            for entry in map.required("jobs", hint: "[{ name: unit, run: \"make test\" }]")?.list() ?? [] {
                guard let job = entry.mapping(allowed: ["name", "run", "needs", "allow_failure", "timeout", "network", "limits"]) else { continue }
                let jobName = validName(job, key: "name", hint: "unit")
                let run = job.requiredString("run", hint: "make test")
                if let jobName, !jobNames.insert(jobName).inserted {
                    job.value("name")?.problem("job name '\(jobName)' is used twice in this workflow (build-<target> and deploy-<target> are taken)")
                }
                guard let jobName, let run else { continue }
                var shellJob = ShellJobConfig(name: jobName, run: run, needs: job.stringList("needs"),
                                              allowFailure: job.value("allow_failure")?.bool() ?? false,
                                              timeout: job.value("timeout")?.int(in: 1...604_800))
                shellJob.network = job.value("network")?.bool() ?? true
                shellJob.limits = readLimits(job.value("limits"))
                jobs.append(shellJob)
            }
            if jobs.isEmpty, map.value("jobs") != nil {
                map.value("jobs")?.problem("a stage needs at least one job")
            }
            let names = Set(jobs.map(\.name))
            for job in jobs {
                for need in job.needs where !names.contains(need) || need == job.name {
                    map.value("jobs")?.problem("job '\(job.name)' needs '\(need)', which is not another job of stage '\(name ?? "?")'")
                }
            }
            if let cycle = DependencyCycle.find(jobs.map { ($0.name, $0.needs) }) {
                map.value("jobs")?.problem("the needs of stage '\(name ?? "?")' form a cycle: \(cycle.joined(separator: " -> "))")
            }
            guard let name else { return nil }
            return StageConfig(name: name, after: after, jobs: jobs)
        }
    }

    private static let triggerKeys = ["events", "repo", "branches", "target_branches", "tags", "paths", "paths_ignore",
                                      "skip_markers", "labels", "merge_request_actions", "drafts", "targets", "env",
                                      "auto_cancel", "retry_phrase"]

    private static func readTriggers(_ cursor: YAMLCursor?, repoNames: Set<String>, targets: [TargetConfig]) -> [TriggerConfig] {
        guard let cursor else { return [] }
        let targetNames = Set(targets.map(\.name))
        return cursor.list().compactMap { item -> TriggerConfig? in
            guard let map = item.mapping(allowed: triggerKeys) else { return nil }
            var events: [WebhookEvent] = []
            if let list = map.required("events", hint: "[push, merge_request]") {
                events = list.list().compactMap { $0.oneOf(WebhookEvent.self) }
            }
            let repo = map.requiredString("repo", hint: "voting-app")
            if let repo, !repoNames.contains(repo) {
                map.value("repo")?.problem("repo '\(repo)' is not declared under repos; declare it or fix the name")
            }
            let triggerTargets = map.stringList("targets")
            for target in triggerTargets where !targetNames.contains(target) {
                map.value("targets")?.problem("target '\(target)' is not a target of this workflow; use one of \(targets.map(\.name))")
            }
            guard let repo else { return nil }
            var trigger = TriggerConfig(events: events, repo: repo,
                                        targets: triggerTargets.isEmpty ? targets.map(\.name) : triggerTargets)
            trigger.branches = patterns(map, "branches")
            trigger.targetBranches = patterns(map, "target_branches")
            trigger.tags = patterns(map, "tags")
            trigger.paths = patterns(map, "paths")
            trigger.pathsIgnore = patterns(map, "paths_ignore")
            if map.value("skip_markers") != nil { trigger.skipMarkers = map.stringList("skip_markers") }
            trigger.labels = map.stringList("labels")
            if map.value("merge_request_actions") != nil { trigger.mergeRequestActions = map.stringList("merge_request_actions") }
            trigger.drafts = map.value("drafts")?.bool() ?? false
            trigger.autoCancel = map.value("auto_cancel")?.bool() ?? false
            if let env = map.value("env") { trigger.env = validName(env, hint: "dev") }
            if let phrase = map.optionalString("retry_phrase"), !phrase.isEmpty { trigger.retryPhrase = phrase }
            return trigger
        }
    }

    private static func patterns(_ map: YAMLMapping, _ key: String) -> [RefPattern] {
        guard let value = map.value(key) else { return [] }
        return value.list().compactMap { item in
            guard let text = item.string() else { return nil }
            do {
                return try RefPattern(text)
            } catch {
                item.problem("\(error); write a glob such as release/* or a regex as re:^hotfix-[0-9]+$")
                return nil
            }
        }
    }

    private static func validName(_ map: YAMLMapping, key: String, hint: String) -> String? {
        guard let value = map.required(key, hint: hint) else { return nil }
        return validName(value, hint: hint)
    }

    private static func validName(_ cursor: YAMLCursor, hint: String) -> String? {
        guard let text = cursor.string() else { return nil }
        guard Names.isValid(text) else {
            cursor.problem("'\(text)' is not a valid name (\(Names.rule)); write e.g. \(hint)")
            return nil
        }
        return text
    }
}
