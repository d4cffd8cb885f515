/// A secret a workflow hands its jobs as an environment variable:
/// `secrets: [{ name: REGISTRY_TOKEN, value: "${REGISTRY_TOKEN}", branches: [main], events: [push, tag_push, api] }]`.
public struct JobSecret: Sendable, Hashable {
    /// Events a secret reaches when the config lists none: code that was pushed, not proposed.
    public static let defaultEvents: [TaskOrigin.Event] = [.push, .tagPush, .api]
    /// Shorter values are refused: masking them in logs would garble ordinary output.
    public static let minimumLength = 8

    public var name: String
    public var value: Secret
    /// Branches (of pushes and API tasks; a merge request's target branch) the secret reaches; empty is any.
    public var branches: [RefPattern] = []
    /// Tags (of tag pushes) the secret reaches; empty is any tag only when `branches` is empty too.
    public var tags: [RefPattern] = []
    public var events: [TaskOrigin.Event] = JobSecret.defaultEvents
    /// Merge request and note tasks get the secret only with this, and never from a fork.
    public var mergeRequests = false

    /// An environment variable name a secret may take: not one Trestle or the shell sets.
    public static func isValidName(_ name: String) -> Bool {
        guard let first = name.utf8.first, first == UInt8(ascii: "_") || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(first),
              name.utf8.allSatisfy({ $0 == UInt8(ascii: "_") || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0)
                  || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
              name.utf8.count <= 128 else { return false }
        return !name.hasPrefix("TRESTLE") && !JobEnvironment.inherited.contains(name) && !JobEnvironment.reserved.contains(name)
            && !name.hasPrefix("REPO_")
    }

    public init(name: String, value: Secret) {
        self.name = name
        self.value = value
    }

    /// Whether a job of a task from `origin` gets this secret.
    public func isGranted(to origin: TaskOrigin) -> Bool {
        guard events.contains(origin.event) else { return false }
        if origin.isMergeRequestCode {
            guard mergeRequests, !origin.fork else { return false }
            return Self.matches(branches, origin.targetBranch ?? "")
        }
        // A secret limited to branches does not reach tags: anyone who can push a tag could
        // otherwise tag any commit to get it.
        if origin.event == .tagPush { return tags.isEmpty ? branches.isEmpty : Self.matches(tags, origin.ref) }
        return Self.matches(branches, origin.ref)
    }

    private static func matches(_ patterns: [RefPattern], _ name: String) -> Bool {
        patterns.isEmpty || patterns.contains { $0.matches(name) }
    }
}

/// What a task's origin allows its jobs, decided before any job starts.
public enum JobTrust {
    /// The refs each repo's commit must be on for the task's branch or tag to be believed: an API
    /// caller names any commit with any branch, and a secret for `main` must not reach a merge
    /// request's commit called `main`. Empty for merge request code (which gets secrets by other rules).
    public static func refsToVerify(_ origin: TaskOrigin, arguments: TaskArguments) -> [(repo: String, commit: CommitID, ref: String)] {
        guard !origin.isMergeRequestCode else { return [] }
        var seen = Set<String>()
        return arguments.targets.flatMap(\.build.repos).compactMap { repo in
            guard let commit = repo.commitID, seen.insert(repo.repoName).inserted else { return nil }
            let ref = origin.event == .tagPush ? "refs/tags/\(origin.ref)" : "refs/heads/\(repo.branch)"
            return (repo.repoName, commit, ref)
        }
    }

    /// The secrets a job of a task from `origin` gets, as environment variables.
    public static func secrets(_ secrets: [JobSecret], for origin: TaskOrigin) -> [String: String] {
        var granted: [String: String] = [:]
        for secret in secrets where secret.isGranted(to: origin) {
            granted[secret.name] = secret.value.value
        }
        return granted
    }

    /// Why a deploy job of `target` must not run for a task from `origin`; nil when it may.
    public static func deployRefusal(origin: TaskOrigin, target: TargetConfig?) -> String? {
        guard origin.isMergeRequestCode, !(target?.deployMergeRequests ?? false) else { return nil }
        let name = target?.name ?? "?"
        return "not run: deploys do not run for merge request code (set deploy_merge_requests: true on target '\(name)' to allow it)"
    }
}
