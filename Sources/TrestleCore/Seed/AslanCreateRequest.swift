import Foundation

/// Seed 001's `POST /api/aslan/workflow/workflowtask` body as sent: every field optional, so that
/// the mapping can name exactly what is missing.
public struct AslanCreateRequest: Sendable, Decodable {
    public var workflowName: String?
    public var productTmplName: String?
    public var namespace: String?
    public var targets: [Target]?

    enum CodingKeys: String, CodingKey {
        case workflowName = "workflow_name"
        case productTmplName = "product_tmpl_name"
        case namespace
        case targets
    }

    public init(workflowName: String?, productTmplName: String?, namespace: String?, targets: [Target]?) {
        self.workflowName = workflowName
        self.productTmplName = productTmplName
        self.namespace = namespace
        self.targets = targets
    }

    public struct Target: Sendable, Decodable {
        public var name: String?
        public var serviceName: String?
        public var productName: String?
        /// Not in seed 001: seed 000's `build.repos`, to build other branches than the default.
        public var build: CreateTaskRequest.Build?

        enum CodingKeys: String, CodingKey {
            case name
            case serviceName = "service_name"
            case productName = "product_name"
            case build
        }

        public init(name: String?, serviceName: String?, productName: String?, build: CreateTaskRequest.Build? = nil) {
            self.name = name
            self.serviceName = serviceName
            self.productName = productName
            self.build = build
        }
    }
}

/// Seed 001's create mapped onto seed 000's, so both run the one validation and create path:
/// `namespace` is `env_name`, a target's `name` is the target, and a target without `build`
/// builds every repo its config lists from `defaultBranch`.
public enum AslanCreateMapping {
    public static let defaultBranch = "main"

    /// Seed 000's request for `request`, sent with `?projectName=` `projectName`. An unknown workflow,
    /// or one outside the named project, fails with `.workflowNotFound`; other problems with `.invalidRequest`.
    public static func createRequest(_ request: AslanCreateRequest, projectName: String?,
                                     config: TrestleConfig) throws(TaskOperationFailure) -> CreateTaskRequest {
        guard let name = request.workflowName, !name.isEmpty else {
            throw .invalidRequest(["workflow_name is required"])
        }
        let workflow = try WorkflowLookup.workflow(name, field: "workflow_name", project: projectName, config: config)
        let product = request.productTmplName ?? ""
        if !product.isEmpty, product != workflow.project {
            throw .workflowNotFound("product_tmpl_name: workflow '\(name)' belongs to project '\(workflow.project)', not to '\(product.prefix(80))'")
        }
        var problems: [String] = []
        if product.isEmpty {
            problems.append("product_tmpl_name is required: the workflow's project, '\(workflow.project)'")
        }
        if (request.namespace ?? "").isEmpty {
            problems.append("namespace is required: the env to deploy to")
        }
        let targets = request.targets ?? []
        if targets.isEmpty {
            problems.append("targets is required: list the services to build, each by name (targets: \(workflow.targets.map(\.name).joined(separator: ", ")))")
        }
        for (index, target) in targets.enumerated() {
            if let product = target.productName, !product.isEmpty, product != workflow.project {
                problems.append("targets[\(index)].product_name: '\(product.prefix(80))' is not the workflow's project '\(workflow.project)'")
            }
        }
        guard problems.isEmpty else { throw .invalidRequest(problems) }
        return CreateTaskRequest(
            workflowName: name, envName: request.namespace,
            targets: targets.map { target in
                CreateTaskRequest.Target(name: target.name, serviceType: nil,
                                         build: target.build ?? defaultBuild(workflow.target(named: target.name ?? "")))
            },
            releaseImages: nil)
    }

    /// Seed 000's problems in seed 001's words (its env is `namespace`).
    public static func renamingFields(_ failure: TaskOperationFailure) -> TaskOperationFailure {
        guard case .invalidRequest(let problems) = failure else { return failure }
        return .invalidRequest(problems.map { problem in
            problem.hasPrefix("env_name") ? "namespace" + problem.dropFirst("env_name".count) : problem
        })
    }

    private static func defaultBuild(_ target: TargetConfig?) -> CreateTaskRequest.Build? {
        target.map { target in
            CreateTaskRequest.Build(repos: target.repos.map {
                CreateTaskRequest.Repo(repoName: $0, branch: defaultBranch, pr: 0, commitID: nil)
            })
        }
    }
}

extension AslanCreateRequest {
    /// The body as seed 001 sends it: its own example has trailing commas, so it is read as JSON5.
    /// Foundation's JSON5 scanner traps on a key that is not UTF-8 (`{` and eight 0xFF bytes kill
    /// the process), so the bytes are checked first.
    public static func decode(_ body: Data) throws -> AslanCreateRequest {
        guard String(validating: body, as: UTF8.self) != nil else {
            throw DecodingError.dataCorrupted(DecodingError.Context(codingPath: [], debugDescription: "the body is not UTF-8 text"))
        }
        let decoder = JSONDecoder()
        decoder.allowsJSON5 = true
        return try decoder.decode(AslanCreateRequest.self, from: body)
    }
}
