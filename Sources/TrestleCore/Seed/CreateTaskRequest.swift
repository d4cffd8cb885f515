/// Seed 000's `POST /api/directory/workflowTask/create` body as sent: every field optional,
/// so that validation can name exactly what is missing.
public struct CreateTaskRequest: Sendable, Decodable {
    public var workflowName: String?
    public var envName: String?
    public var targets: [Target]?
    public var releaseImages: [Image]?

    enum CodingKeys: String, CodingKey {
        case workflowName = "workflow_name"
        case envName = "env_name"
        case targets
        case releaseImages = "release_images"
    }

    public init(workflowName: String?, envName: String?, targets: [Target]?, releaseImages: [Image]?) {
        self.workflowName = workflowName
        self.envName = envName
        self.targets = targets
        self.releaseImages = releaseImages
    }

    public struct Target: Sendable, Decodable {
        public var name: String?
        public var serviceType: String?
        public var build: Build?

        enum CodingKeys: String, CodingKey {
            case name
            case serviceType = "service_type"
            case build
        }

        public init(name: String?, serviceType: String?, build: Build?) {
            self.name = name
            self.serviceType = serviceType
            self.build = build
        }
    }

    public struct Build: Sendable, Decodable {
        public var repos: [Repo]?

        public init(repos: [Repo]?) {
            self.repos = repos
        }
    }

    public struct Repo: Sendable, Decodable {
        public var repoName: String?
        public var branch: String?
        public var pr: Int?
        public var commitID: String?

        enum CodingKeys: String, CodingKey {
            case repoName = "repo_name"
            case branch
            case pr
            case commitID = "commit_id"
        }

        public init(repoName: String?, branch: String?, pr: Int?, commitID: String?) {
            self.repoName = repoName
            self.branch = branch
            self.pr = pr
            self.commitID = commitID
        }
    }

    public struct Image: Sendable, Decodable {
        public var image: String?
        public var serviceName: String?

        enum CodingKeys: String, CodingKey {
            case image
            case serviceName = "service_name"
        }

        public init(image: String?, serviceName: String?) {
            self.image = image
            self.serviceName = serviceName
        }
    }
}
