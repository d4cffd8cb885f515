/// The whole configuration file, validated.
public struct TrestleConfig: Sendable {
    public var server: ServerConfig
    public var storage: StorageConfig
    /// Where mirrors, workspaces and the default database live.
    public var dataDir: String
    public var auth: AuthConfig
    public var mirrors: MirrorsConfig
    public var executor: ExecutorConfig
    /// The GitLab instance commit statuses go to; nil sends none.
    public var gitlab: GitLabConfig?
    public var repos: [RepoConfig]
    public var workflows: [WorkflowConfig]
    public var flows = FlowsConfig()
    /// The web dashboard: `ui: { public_read: true }` lets anyone read without signing in.
    public var ui = UIConfig()

    public init(server: ServerConfig, storage: StorageConfig, dataDir: String, auth: AuthConfig,
                mirrors: MirrorsConfig = MirrorsConfig(), executor: ExecutorConfig = ExecutorConfig(),
                repos: [RepoConfig], workflows: [WorkflowConfig]) {
        self.server = server
        self.storage = storage
        self.dataDir = dataDir
        self.auth = auth
        self.mirrors = mirrors
        self.executor = executor
        self.repos = repos
        self.workflows = workflows
    }

    public func workflow(named name: String) -> WorkflowConfig? {
        workflows.first { $0.name == name }
    }

    public func target(workflow: String, named name: String) -> TargetConfig? {
        self.workflow(named: workflow)?.targets.first { $0.name == name }
    }

    public func repo(named name: String) -> RepoConfig? {
        repos.first { $0.name == name }
    }

    /// The repo a GitLab delivery is for: its `gitlab_project` is the project's path or numeric id
    /// (a repo without one answers to its own name as the path).
    public func repo(gitlabPath path: String?, id: Int?) -> RepoConfig? {
        repos.first { repo in
            let project = repo.gitlabProject ?? repo.name
            return project == path || (id != nil && project == String(id!))
        }
    }
}

public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT` or `[IPv6]:PORT`; port 0 asks for any free port.
    public init?(parsing text: String) {
        let hostPart: Substring
        let portPart: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"),
                  text[text.index(after: close)...].hasPrefix(":") else { return nil }
            hostPart = text[text.index(after: text.startIndex)..<close]
            portPart = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
        }
        guard !hostPart.isEmpty, !hostPart.contains(" "),
              let port = Int(portPart), (0...65535).contains(port) else { return nil }
        host = String(hostPart)
        self.port = port
    }

    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

public struct ServerConfig: Sendable {
    public var listen: ListenAddress
    /// Base of task links, without a trailing slash.
    public var externalURL: String
    /// True when the file gave no external_url, so links follow the address actually bound.
    public var externalURLFollowsListen: Bool
    public var maxBodyBytes: Int
    /// The webhook receiver's limit: GitLab's merge request and push payloads run larger than API bodies.
    public var maxWebhookBytes: Int
    /// Seconds a request's whole body may take to arrive, so slow clients cannot hold buffers.
    public var bodyTimeout = 30
    /// Seconds a connection may sit with nothing read before it is closed.
    public var idleTimeout = 75
    /// Signs dashboard sessions (`${TRESTLE_SESSION_SECRET}`); without it each start makes one,
    /// so sessions end with the process. Restarting with a new one signs everyone out.
    public var sessionSecret: Secret?

    public init(listen: ListenAddress, externalURL: String?, maxBodyBytes: Int, maxWebhookBytes: Int = 10 << 20) {
        self.listen = listen
        self.externalURL = externalURL ?? "http://\(listen)"
        self.externalURLFollowsListen = externalURL == nil
        self.maxBodyBytes = maxBodyBytes
        self.maxWebhookBytes = maxWebhookBytes
    }

    /// The body limit of a route, and the config key that sets it.
    public func bodyLimit(forPath path: String) -> (bytes: Int, key: String) {
        path.hasPrefix("/api/webhook/") ? (maxWebhookBytes, "server.max_webhook_bytes") : (maxBodyBytes, "server.max_body_bytes")
    }
}

/// How hard SQLite syncs on commit: `normal` survives a killed process, `full` a power cut.
public enum SQLiteSynchronous: String, Sendable, CaseIterable {
    case normal
    case full
}

/// `storage: { postgres: { url: "${DATABASE_URL}", pool_size: 16 } }`: the store on a PostgreSQL server.
public struct PostgresStorageConfig: Sendable {
    /// `postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=...`, from the environment (it holds a password).
    public var url: Secret
    /// Connections the process keeps at most.
    public var poolSize: Int

    public init(url: Secret, poolSize: Int = 16) {
        self.url = url
        self.poolSize = poolSize
    }
}

public struct StorageConfig: Sendable {
    /// The SQLite file, when the store is SQLite (the default); also where its executor lock lives.
    public var sqlitePath: String
    public var synchronous: SQLiteSynchronous
    /// Set when the store is on PostgreSQL instead of SQLite.
    public var postgres: PostgresStorageConfig?

    public init(sqlitePath: String, synchronous: SQLiteSynchronous) {
        self.sqlitePath = sqlitePath
        self.synchronous = synchronous
    }
}

public enum Scope: String, Sendable, CaseIterable, Hashable {
    case read
    case trigger
    case admin
    /// Scrapes `/metrics` and nothing else.
    case metrics
}

/// A secret from the config: its text never appears in descriptions or logs.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    public let value: String

    public init(_ value: String) {
        self.value = value
    }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
}

public enum TokenSecret: Sendable, Hashable {
    /// The token itself, read from the environment.
    case plain(Secret)
    /// The SHA-256 of the token, as 64 lowercase hex characters.
    case sha256Hex(String)
}

public struct APIToken: Sendable, Hashable {
    public var name: String
    public var secret: TokenSecret
    public var scopes: Set<Scope>

    public init(name: String, secret: TokenSecret, scopes: Set<Scope>) {
        self.name = name
        self.secret = secret
        self.scopes = scopes
    }

    /// `admin` grants every scope.
    public func allows(_ scope: Scope) -> Bool {
        scopes.contains(scope) || scopes.contains(.admin)
    }
}

public struct AuthConfig: Sendable {
    public var tokens: [APIToken]

    public init(tokens: [APIToken]) {
        self.tokens = tokens
    }
}

public struct RepoConfig: Sendable {
    /// The numeric project id the config names: `gitlab_project_id`, or a numeric `gitlab_project`.
    public var knownGitLabProjectID: Int? {
        gitlabProjectID ?? gitlabProject.flatMap { Int($0) }
    }

    /// The name API callers use as `repo_name`.
    public var name: String
    public var url: String
    public var gitlabProject: String?
    /// The GitLab project's numeric id, when the admin gives it; else it is looked up once from
    /// `gitlab_project` through GitLab's API. Commit statuses and notes go only to this project.
    public var gitlabProjectID: Int?
    public var webhookToken: Secret?
    /// HTTPS token for fetching (sent as GitLab's `oauth2` user).
    public var token: Secret?
    /// SSH private key file for fetching over SSH.
    public var sshKey: String?

    public init(name: String, url: String, gitlabProject: String?, webhookToken: Secret?,
                token: Secret? = nil, sshKey: String? = nil) {
        self.name = name
        self.url = url
        self.gitlabProject = gitlabProject
        self.webhookToken = webhookToken
        self.token = token
        self.sshKey = sshKey
    }
}

/// The GitLab instance of the webhooks: `gitlab: { url: "https://gitlab.example.com", token: "${GITLAB_TOKEN}" }`.
/// Commit statuses of webhook tasks go to `<url>/api/v4/projects/:id/statuses/:sha`.
public struct GitLabConfig: Sendable {
    public var url: String
    public var token: Secret
    /// One note on the merge request when a task built for it ends (edited, not repeated, on restarts).
    public var mergeRequestNotes: Bool

    public init(url: String, token: Secret, mergeRequestNotes: Bool = false) {
        self.url = url
        self.token = token
        self.mergeRequestNotes = mergeRequestNotes
    }
}

/// How jobs are kept from the server and from each other.
public enum JobIsolation: String, Sendable, CaseIterable, Hashable {
    /// Each job in a bubblewrap sandbox of its own (see the README's threat model).
    case bwrap
    /// Jobs run as the server's own user and can read its secrets: only for trusted code.
    case none
}

/// The user and group jobs run as when the server runs as root: `run_as: 65534` or `run_as: "1000:1000"`.
public struct RunAs: Sendable, Hashable, CustomStringConvertible {
    public var uid: UInt32
    public var gid: UInt32

    public init(uid: UInt32, gid: UInt32) {
        self.uid = uid
        self.gid = gid
    }

    /// `nobody`.
    public static let nobody = RunAs(uid: 65534, gid: 65534)

    /// `UID` (the group id the same) or `UID:GID`; root is refused.
    public init?(parsing text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let uid = UInt32(parts[0]), uid != 0, uid < 4_294_967_295 else { return nil }
        let gid = parts.count == 2 ? UInt32(parts[1]) : uid
        guard let gid, gid != 0, gid < 4_294_967_295 else { return nil }
        self.init(uid: uid, gid: gid)
    }

    public var description: String { "\(uid):\(gid)" }
}

/// How tasks run: `executor: { concurrency: 4, kill_grace: 10, max_log_bytes: 10485760, lease_seconds: 30, isolation: bwrap,
/// run_as: 65534, limits: {...} }`.
public struct ExecutorConfig: Sendable {
    /// How each job is isolated; `bwrap` unless the config chooses `none`.
    public var isolation: JobIsolation = .bwrap
    /// Who jobs run as when the server is root.
    public var runAs: RunAs = .nobody
    /// Limits of every job unless its workflow, target or stage job sets its own.
    public var limits: JobLimits = .defaults
    /// Tasks running at once in this process; 0 runs none (a receive-only server).
    public var concurrency: Int
    /// Seconds between SIGTERM and SIGKILL when a job's process group is ended.
    public var killGrace: Int
    /// A job's log keeps its first this many bytes, then notes what it dropped.
    public var maxLogBytes: Int
    /// On PostgreSQL: an executor not heard from for this many seconds is presumed dead, and any
    /// live process fails its running tasks ("runner lost").
    public var leaseSeconds: Int = 30

    public init(concurrency: Int = 4, killGrace: Int = 10, maxLogBytes: Int = 10 << 20) {
        self.concurrency = concurrency
        self.killGrace = killGrace
        self.maxLogBytes = maxLogBytes
    }
}

/// How mirrors are kept: `mirrors: { refresh_interval: 300, fetch_timeout: 120, repack_after_fetches: 20 }`.
public struct MirrorsConfig: Sendable {
    /// Seconds between background fetches of every mirror; 0 turns them off.
    public var refreshInterval: Int
    public var fetchTimeout: Int
    public var repackAfterFetches: Int

    public init(refreshInterval: Int = 300, fetchTimeout: Int = 120, repackAfterFetches: Int = 20) {
        self.refreshInterval = refreshInterval
        self.fetchTimeout = fetchTimeout
        self.repackAfterFetches = repackAfterFetches
    }
}

public struct TargetConfig: Sendable {
    public var name: String
    public var serviceType: ServiceType
    public var repos: [String]
    public var build: String?
    public var deploy: String?
    /// Seconds a job of this target may run.
    public var timeout: Int
    /// A root filesystem directory the target's jobs run in instead of the host's system directories.
    public var rootfs: String?
    /// Whether the target's jobs may reach the network (in the sandbox).
    public var network = true
    public var limits: JobLimits?
    /// Deploys of merge request and note tasks run only with this.
    public var deployMergeRequests = false

    public init(name: String, serviceType: ServiceType, repos: [String], build: String?, deploy: String?, timeout: Int) {
        self.name = name
        self.serviceType = serviceType
        self.repos = repos
        self.build = build
        self.deploy = deploy
        self.timeout = timeout
    }
}

/// A stage of shell jobs a workflow adds:
/// `stages: [{ name: test, after: build, jobs: [{ name: unit, run: "make test", needs: [], allow_failure: false, timeout: 600 }] }]`.
public struct StageConfig: Sendable, Hashable {
    /// Where the stage runs: after the build stage (before deploy), or after the deploy stage.
    public enum Placement: String, Sendable, CaseIterable, Hashable {
        case build
        case deploy
    }

    public var name: String
    public var after: Placement
    public var jobs: [ShellJobConfig]

    public init(name: String, after: Placement = .build, jobs: [ShellJobConfig]) {
        self.name = name
        self.after = after
        self.jobs = jobs
    }
}

/// A shell job of a workflow's own stage. `needs` names jobs of the same stage that must end
/// first (passed, or failed while allowed to); a job allowed to fail does not fail its stage.
public struct ShellJobConfig: Sendable, Hashable {
    public var name: String
    public var run: String
    public var needs: [String]
    public var allowFailure: Bool
    /// Seconds the job may run; nil takes the workflow's timeout.
    public var timeout: Int?
    /// Whether the job may reach the network (in the sandbox).
    public var network = true
    public var limits: JobLimits?

    public init(name: String, run: String, needs: [String] = [], allowFailure: Bool = false, timeout: Int? = nil) {
        self.name = name
        self.run = run
        self.needs = needs
        self.allowFailure = allowFailure
        self.timeout = timeout
    }
}

public enum WebhookEvent: String, Sendable, CaseIterable, Hashable {
    case push
    case tagPush = "tag_push"
    case mergeRequest = "merge_request"
    case note
}

/// One trigger rule of a workflow: which deliveries create a task, with which targets and env.
/// Empty pattern lists match anything.
public struct TriggerConfig: Sendable {
    public static let defaultSkipMarkers = ["[skip ci]", "[ci skip]"]
    public static let defaultMergeRequestActions = ["open", "reopen", "update"]
    public static let defaultRetryPhrase = "/trestle retry"

    public var events: [WebhookEvent]
    public var repo: String
    /// The pushed branch (pushes only).
    public var branches: [RefPattern] = []
    /// A merge request's target branch.
    public var targetBranches: [RefPattern] = []
    /// The pushed tag.
    public var tags: [RefPattern] = []
    /// At least one changed path must match one of these and none of `pathsIgnore`.
    public var paths: [RefPattern] = []
    public var pathsIgnore: [RefPattern] = []
    /// A head commit message containing one of these (case-insensitive) creates no task.
    public var skipMarkers: [String] = TriggerConfig.defaultSkipMarkers
    /// A merge request must carry at least one of these labels.
    public var labels: [String] = []
    /// Merge request actions that build; `update` builds only when code changed.
    public var mergeRequestActions: [String] = TriggerConfig.defaultMergeRequestActions
    /// Whether draft merge requests build.
    public var drafts = false
    public var targets: [String]
    /// The env of the tasks; the workflow's env when nil.
    public var env: String?
    /// Cancel older created or running tasks of the workflow for the same branch or merge request.
    public var autoCancel = false
    /// A merge request comment containing this phrase re-triggers the merge request's build.
    public var retryPhrase: String = TriggerConfig.defaultRetryPhrase

    public init(events: [WebhookEvent], repo: String, targets: [String]) {
        self.events = events
        self.repo = repo
        self.targets = targets
    }
}

public struct WorkflowConfig: Sendable {
    public var name: String
    public var project: String
    /// The env webhook-triggered tasks deploy to.
    public var env: String?
    /// The envs API callers may name; empty allows any well-formed name.
    public var envs: [String]
    /// Seconds a whole task may run.
    public var timeout: Int
    /// Tasks of this workflow running at once; nil leaves only the executor's limit.
    public var concurrency: Int?
    /// A task a killed executor left running is run again (a new attempt) instead of failing.
    public var requeueInterrupted = false
    public var targets: [TargetConfig]
    public var limits: JobLimits?
    /// Secrets the workflow's jobs get as environment variables, each only for the tasks it names.
    public var secrets: [JobSecret] = []
    /// Stages of shell jobs the workflow adds around its build and deploy stages.
    public var stages: [StageConfig]
    public var triggers: [TriggerConfig]

    public init(name: String, project: String, env: String?, envs: [String], timeout: Int, concurrency: Int? = nil,
                targets: [TargetConfig], stages: [StageConfig] = [], triggers: [TriggerConfig]) {
        self.concurrency = concurrency
        self.stages = stages
        self.name = name
        self.project = project
        self.env = env
        self.envs = envs
        self.timeout = timeout
        self.targets = targets
        self.triggers = triggers
    }

    public func target(named name: String) -> TargetConfig? {
        targets.first { $0.name == name }
    }
}

extension TrestleConfig {
    /// The config with `trestle serve`'s command-line overrides applied. A new data dir also
    /// moves a relative SQLite path into it, so one flag relocates all state.
    public func overriding(listen: ListenAddress?, dataDir: String?) -> TrestleConfig {
        var config = self
        if let listen {
            config.server.listen = listen
            if server.externalURLFollowsListen {
                config.server.externalURL = "http://\(listen)"
            }
        }
        if let dataDir {
            config.dataDir = dataDir
            if !storage.sqlitePath.hasPrefix("/") {
                let file = storage.sqlitePath.split(separator: "/").last.map(String.init) ?? "trestle.sqlite"
                config.storage.sqlitePath = dataDir + "/" + file
            }
        }
        return config
    }
}

/// `ui: { public_read: false }`: whether the dashboard's pages may be read without signing in.
public struct UIConfig: Sendable, Hashable {
    public var publicRead = false

    public init(publicRead: Bool = false) {
        self.publicRead = publicRead
    }
}
