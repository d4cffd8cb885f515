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
    /// The body as seed 001 sends it: its own example has trailing commas, so they are dropped
    /// before a strict JSON decode. Not JSON5: Foundation's JSON5 scanner traps on a key of invalid
    /// UTF-8 and on `0x0x` in a whole-number field (both found by fuzzing), either of which killed
    /// the server with one request.
    public static func decode(_ body: Data) throws -> AslanCreateRequest {
        try JSONDecoder().decode(AslanCreateRequest.self, from: TrailingCommas.removed(from: body))
    }
}

/// JSON with the commas before a `}` or `]` outside strings removed: `[1, 2,]` reads as `[1, 2]`.
enum TrailingCommas {
    static func removed(from text: Data) -> Data {
        let bytes = [UInt8](text)
        var output = [UInt8]()
        output.reserveCapacity(bytes.count)
        var inString = false
        var escaped = false
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
            } else if byte == UInt8(ascii: "\"") {
                inString = true
            } else if byte == UInt8(ascii: ",") {
                var next = index
                while next < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[next]) { next += 1 }
                if next < bytes.count, bytes[next] == UInt8(ascii: "}") || bytes[next] == UInt8(ascii: "]") { continue }
            }
            output.append(byte)
        }
        return Data(output)
    }
}
