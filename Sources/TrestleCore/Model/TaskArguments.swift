/// How a target is deployed (seed 000 `service_type`).
public enum ServiceType: String, Sendable, Codable, CaseIterable, Hashable {
    case k8s
    case helm
}

/// The arguments of a task: what seed 000's create body asks for, once validated.
public struct TaskArguments: Sendable, Codable, Hashable {
    public var targets: [TargetArguments]
    public var releaseImages: [ReleaseImage]

    public init(targets: [TargetArguments], releaseImages: [ReleaseImage]) {
        self.targets = targets
        self.releaseImages = releaseImages
    }

    enum CodingKeys: String, CodingKey {
        case targets
        case releaseImages = "release_images"
    }

    /// The branch (or `!N` for merge request N) of the first repo the task builds: what the
    /// dashboard lists and filters tasks by; nil for a release, which builds nothing.
    public var listedBranch: String? {
        guard let repo = targets.first?.build.repos.first else { return nil }
        if repo.pr > 0 { return "!\(repo.pr)" }
        return repo.branch.isEmpty ? nil : repo.branch
    }

    /// Every commit the task builds, once each.
    public var commitIDs: [CommitID] {
        var seen = Set<CommitID>()
        return targets.flatMap(\.build.repos).compactMap(\.commitID).filter { seen.insert($0).inserted }
    }

    /// Every (repo, commit) pair the task builds, once each.
    public var repoCommits: [RepoCommit] {
        var seen = Set<RepoCommit>()
        return targets.flatMap(\.build.repos).compactMap { repo in
            repo.commitID.map { RepoCommit(repoName: repo.repoName, commitID: $0) }
        }.filter { seen.insert($0).inserted }
    }
}

/// A commit of one repo, as the store indexes it for covering queries.
public struct RepoCommit: Sendable, Hashable {
    public var repoName: String
    public var commitID: CommitID

    public init(repoName: String, commitID: CommitID) {
        self.repoName = repoName
        self.commitID = commitID
    }
}

public struct TargetArguments: Sendable, Codable, Hashable {
    public var name: String
    public var serviceType: ServiceType
    public var build: BuildArguments

    public init(name: String, serviceType: ServiceType, build: BuildArguments) {
        self.name = name
        self.serviceType = serviceType
        self.build = build
    }

    enum CodingKeys: String, CodingKey {
        case name
        case serviceType = "service_type"
        case build
    }
}

public struct BuildArguments: Sendable, Codable, Hashable {
    public var repos: [RepoArguments]

    public init(repos: [RepoArguments]) {
        self.repos = repos
    }
}

public struct RepoArguments: Sendable, Codable, Hashable {
    public var repoName: String
    public var branch: String
    public var pr: Int
    /// The commit built, once known (given, or resolved from branch/pr).
    public var commitID: CommitID?

    /// The ref a mirror resolves when no commit is given: the merge request's head, else the branch.
    public var ref: String { pr > 0 ? "merge-requests/\(pr)/head" : branch }

    /// How the ref is named in messages.
    public var refDescription: String { pr > 0 ? "merge request !\(pr)" : "branch '\(branch)'" }

    public init(repoName: String, branch: String, pr: Int = 0, commitID: CommitID? = nil) {
        self.repoName = repoName
        self.branch = branch
        self.pr = pr
        self.commitID = commitID
    }

    enum CodingKeys: String, CodingKey {
        case repoName = "repo_name"
        case branch
        case pr
        case commitID = "commit_id"
    }
}

public struct ReleaseImage: Sendable, Codable, Hashable {
    public var image: String
    public var serviceName: String

    public init(image: String, serviceName: String) {
        self.image = image
        self.serviceName = serviceName
    }

    enum CodingKeys: String, CodingKey {
        case image
        case serviceName = "service_name"
    }
}
