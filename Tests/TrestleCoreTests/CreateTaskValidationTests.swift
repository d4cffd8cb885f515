import Testing
import TrestleCore

@Suite("Create request validation")
struct CreateTaskValidationTests {
    static let config: TrestleConfig = {
        try! ConfigLoader.parse(yaml: FixtureFile.text("full.yaml"), file: "full.yaml",
                                environment: ConfigLoaderTests.environment)
    }()

    static func repo(_ name: String = "voting-app", branch: String? = "main", pr: Int? = 0,
                     commit: String? = nil) -> CreateTaskRequest.Repo {
        .init(repoName: name, branch: branch, pr: pr, commitID: commit)
    }

    static func request(workflow: String? = "voting-workflow-dev", env: String? = "dev",
                        targets: [CreateTaskRequest.Target]? = [.init(name: "vote", serviceType: nil,
                                                                      build: .init(repos: [repo()]))],
                        images: [CreateTaskRequest.Image]? = nil) -> CreateTaskRequest {
        CreateTaskRequest(workflowName: workflow, envName: env, targets: targets, releaseImages: images)
    }

    func problems(_ request: CreateTaskRequest) -> [String] {
        do {
            _ = try CreateTaskValidation.validate(request, config: Self.config)
            return []
        } catch {
            guard case .invalidRequest(let problems) = error else { return ["unexpected \(error)"] }
            return problems
        }
    }

    @Test("a valid request takes the target's service type from the config and plans build, the workflow's own stages, and deploy")
    func validRequest() throws {
        let validated = try CreateTaskValidation.validate(Self.request(), config: Self.config)
        #expect(validated.arguments.targets[0].serviceType == .helm)
        let task = validated.newTask(trigger: TaskTrigger(kind: .api, by: "scripts"), createTime: 10)
        #expect(task.project == "voting")
        #expect(task.stages.map(\.name) == ["build", "test", "deploy", "smoke"])
        #expect(task.stages[0].jobs.map(\.name) == ["build-vote"])
        #expect(task.stages[1].jobs.map(\.kind) == [.shell, .shell])
    }

    @Test("a commit id is kept lowercase and indexed once")
    func commitKept() throws {
        let commit = "ABCDEF0123456789ABCDEF0123456789ABCDEF01"
        let request = Self.request(targets: [.init(name: "vote", serviceType: "helm", build: .init(repos: [
            Self.repo(commit: commit), Self.repo("dyliu", commit: commit),
        ]))])
        let validated = try CreateTaskValidation.validate(request, config: Self.config)
        #expect(validated.arguments.commitIDs.map(\.hex) == [commit.lowercased()])
    }

    @Test("release images alone make a deploy-only task for those services")
    func releaseOnly() throws {
        let request = Self.request(targets: nil, images: [.init(image: "reg/vote:1", serviceName: "vote")])
        let validated = try CreateTaskValidation.validate(request, config: Self.config)
        #expect(TaskPlanner.stages(for: validated.arguments).map(\.name) == ["deploy"])
    }

    @Test("each invalid field is named with what to send instead")
    func invalidFieldsAreNamed() {
        #expect(problems(Self.request(workflow: nil)) == ["workflow_name is required"])
        #expect(problems(Self.request(workflow: "nope")).first?.contains("workflow 'nope' is not configured") == true)
        #expect(problems(Self.request(env: nil)) == ["env_name is required"])
        #expect(problems(Self.request(env: "prod")).first?.contains("env 'prod' is not allowed") == true)
        #expect(problems(Self.request(targets: [], images: [])) == ["give at least one of targets and release_images"])
        #expect(problems(Self.request(targets: [.init(name: "ghost", serviceType: nil, build: .init(repos: [Self.repo()]))]))
            .first?.contains("targets[0].name: target 'ghost'") == true)
        #expect(problems(Self.request(targets: [.init(name: "vote", serviceType: "k8s", build: .init(repos: [Self.repo()]))]))
            .first?.contains("deployed as helm, not k8s") == true)
        #expect(problems(Self.request(targets: [.init(name: "vote", serviceType: "docker", build: .init(repos: [Self.repo()]))]))
            .first?.contains("'docker' is not k8s or helm") == true)
        #expect(problems(Self.request(targets: [.init(name: "vote", serviceType: nil, build: nil)]))
            .first?.contains("targets[0].build.repos is required") == true)
        #expect(problems(Self.request(targets: [.init(name: "result", serviceType: nil, build: .init(repos: [Self.repo("dyliu")]))]))
            .first?.contains("repo 'dyliu' is not built by target 'result'") == true)
        #expect(problems(Self.request(targets: [.init(name: "vote", serviceType: nil, build: .init(repos: [Self.repo(branch: "")]))]))
            == ["targets[0].build.repos[0].branch is required"])
        #expect(problems(Self.request(targets: [.init(name: "vote", serviceType: nil, build: .init(repos: [Self.repo(pr: -1)]))]))
            .first?.contains("pr: -1") == true)
        #expect(problems(Self.request(targets: [.init(name: "vote", serviceType: nil, build: .init(repos: [Self.repo(commit: "abc")]))]))
            .first?.contains("commit_id: 'abc' is not a full") == true)
        #expect(problems(Self.request(targets: nil, images: [.init(image: "reg/x:1", serviceName: "ghost")]))
            .first?.contains("service 'ghost' is not a target") == true)
        #expect(problems(Self.request(targets: nil, images: [.init(image: nil, serviceName: "vote")]))
            .first?.contains("release_images[0].image is required") == true)
    }

    @Test("a target listed twice is refused")
    func duplicateTargets() {
        let target = CreateTaskRequest.Target(name: "vote", serviceType: nil, build: .init(repos: [Self.repo()]))
        #expect(problems(Self.request(targets: [target, target])) == ["targets: target 'vote' is listed twice"])
    }

    @Test("task links follow seed 000's example")
    func links() {
        #expect(TaskLinks.url(externalURL: "http://my.zadig.com", project: "proxy", workflow: "workflow-demo", taskID: 49)
            == "http://my.zadig.com/v1/projects/detail/proxy/pipelines/multi/workflow-demo/49")
    }

    @Test("a restart re-runs every job that did not pass and keeps the passed ones")
    func restartPlan() {
        let stages = [StageRecord(name: "build", status: .failed, startTime: 1, endTime: 2, jobs: [
            JobRecord(name: "build-a", kind: .build, target: "a", status: .passed, startTime: 1, endTime: 2),
            JobRecord(name: "build-b", kind: .build, target: "b", status: .failed, startTime: 1, endTime: 2, error: "exit 1"),
        ])]
        let next = TaskPlanner.restartStages(from: stages)
        #expect(next[0].status == .created)
        #expect(next[0].jobs.map(\.status) == [.passed, .created])
        #expect(next[0].jobs[1].error == nil)
    }
}
