import Testing
import TrestleCore

@Suite("Seed 001 create mapped onto seed 000's")
struct AslanCreateMappingTests {
    static let config = CreateTaskValidationTests.config

    static func request(workflow: String? = "voting-workflow-dev", product: String? = "voting", namespace: String? = "dev",
                        targets: [AslanCreateRequest.Target]? = [.init(name: "vote", serviceName: "vote", productName: "voting")])
        -> AslanCreateRequest {
        AslanCreateRequest(workflowName: workflow, productTmplName: product, namespace: namespace, targets: targets)
    }

    func failure(_ request: AslanCreateRequest, projectName: String? = nil) -> TaskOperationFailure? {
        do {
            let mapped = try AslanCreateMapping.createRequest(request, projectName: projectName, config: Self.config)
            _ = try CreateTaskValidation.validate(mapped, config: Self.config)
            return nil
        } catch {
            return AslanCreateMapping.renamingFields(error)
        }
    }

    @Test("namespace is the env, a target's name the target, and a target without build builds its repos from main")
    func mapsOntoSeed000() throws {
        let mapped = try AslanCreateMapping.createRequest(Self.request(), projectName: "voting", config: Self.config)
        #expect(mapped.workflowName == "voting-workflow-dev")
        #expect(mapped.envName == "dev")
        #expect(mapped.targets?.map(\.name) == ["vote"])
        let repos = try #require(mapped.targets?.first?.build?.repos)
        #expect(repos.map(\.repoName) == ["voting-app", "dyliu"])
        #expect(repos.allSatisfy { $0.branch == "main" && $0.pr == 0 && $0.commitID == nil })
        let validated = try CreateTaskValidation.validate(mapped, config: Self.config)
        #expect(validated.env == "dev")
        #expect(validated.workflow.project == "voting")
    }

    @Test("a target's own build.repos are kept")
    func keepsBuild() throws {
        let build = CreateTaskRequest.Build(repos: [.init(repoName: "voting-app", branch: "feature", pr: 0, commitID: nil)])
        let mapped = try AslanCreateMapping.createRequest(
            Self.request(targets: [.init(name: "vote", serviceName: nil, productName: nil, build: build)]),
            projectName: nil, config: Self.config)
        #expect(mapped.targets?.first?.build?.repos?.map(\.branch) == ["feature"])
    }

    @Test("an unknown workflow, or one outside projectName or product_tmpl_name, is not found, naming the field")
    func workflowNotFound() {
        let cases: [(AslanCreateRequest, String?, String)] = [
            (Self.request(workflow: "ghost"), nil, "workflow_name: workflow 'ghost' is not configured"),
            (Self.request(), "other", "projectName: workflow 'voting-workflow-dev' belongs to project 'voting', not to 'other'"),
            (Self.request(product: "other"), nil, "product_tmpl_name: workflow 'voting-workflow-dev' belongs to project 'voting'"),
        ]
        for (request, project, expected) in cases {
            guard case .workflowNotFound(let reason) = failure(request, projectName: project) else {
                Issue.record("\(expected): not a workflowNotFound")
                continue
            }
            #expect(reason.hasPrefix(expected), "\(reason)")
        }
    }

    @Test("missing fields and seed 000's problems are reported in seed 001's field names")
    func invalidRequests() {
        let cases: [(AslanCreateRequest, String)] = [
            (Self.request(workflow: nil), "workflow_name is required"),
            (Self.request(product: nil), "product_tmpl_name is required"),
            (Self.request(namespace: ""), "namespace is required"),
            (Self.request(namespace: "prod"), "namespace: env 'prod' is not allowed"),
            (Self.request(targets: []), "targets is required"),
            (Self.request(targets: [.init(name: "nope", serviceName: nil, productName: nil)]), "targets[0].name: target 'nope'"),
            (Self.request(targets: [.init(name: nil, serviceName: nil, productName: nil)]), "targets[0].name is required"),
            (Self.request(targets: [.init(name: "vote", serviceName: nil, productName: "x")]), "targets[0].product_name: 'x'"),
        ]
        for (request, expected) in cases {
            guard case .invalidRequest(let problems) = failure(request) else {
                Issue.record("\(expected): not an invalidRequest")
                continue
            }
            #expect(problems.contains { $0.hasPrefix(expected) }, "\(problems)")
        }
    }
}
