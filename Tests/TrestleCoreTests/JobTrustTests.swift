import Foundation
import Testing
import TrestleCore

@Suite("Job trust: which tasks get secrets and deploys, and the sandbox's settings")
struct JobTrustTests {
    static func secret(branches: [String] = [], tags: [String] = [], events: [TaskOrigin.Event] = JobSecret.defaultEvents,
                       mergeRequests: Bool = false) throws -> JobSecret {
        var secret = JobSecret(name: "REGISTRY_TOKEN", value: Secret("registry-0123456789"))
        secret.branches = try branches.map(RefPattern.init)
        secret.tags = try tags.map(RefPattern.init)
        secret.events = events
        secret.mergeRequests = mergeRequests
        return secret
    }

    static let push = TaskOrigin(event: .push, ref: "main")
    static let releasePush = TaskOrigin(event: .push, ref: "release/1.2")
    static let featurePush = TaskOrigin(event: .push, ref: "feature")
    static let tag = TaskOrigin(event: .tagPush, ref: "v1.0")
    static let api = TaskOrigin(event: .api, ref: "main")
    static let sameProjectMR = TaskOrigin(event: .mergeRequest, ref: "feature", targetBranch: "main", fork: false)
    static let forkMR = TaskOrigin(event: .mergeRequest, ref: "main", targetBranch: "main", fork: true)
    static let note = TaskOrigin(event: .note, ref: "feature", targetBranch: "main", fork: false)

    @Test("a secret reaches pushed code on its branches and tags, never merge request code unless it says so, never a fork",
          arguments: [
            // (branches, tags, merge_requests, origin, granted)
            ([String](), [String](), false, push, true),
            (["main", "release/*"], [], false, push, true),
            (["main", "release/*"], [], false, releasePush, true),
            (["main", "release/*"], [], false, featurePush, false),
            ([], [], false, tag, true),
            (["main"], [], false, tag, false),
            (["main"], ["v*"], false, tag, true),
            (["main"], ["stable-*"], false, tag, false),
            (["main"], [], false, api, true),
            ([], [], false, sameProjectMR, false),
            ([], [], false, note, false),
            ([], [], true, sameProjectMR, true),
            ([], [], true, note, true),
            (["main"], [], true, sameProjectMR, true),
            (["release/*"], [], true, sameProjectMR, false),
            ([], [], true, forkMR, false),
          ] as [([String], [String], Bool, TaskOrigin, Bool)])
    func secretGrants(branches: [String], tags: [String], mergeRequests: Bool, origin: TaskOrigin, granted: Bool) throws {
        let events: [TaskOrigin.Event] = mergeRequests ? JobSecret.defaultEvents + [.mergeRequest, .note] : JobSecret.defaultEvents
        let secret = try Self.secret(branches: branches, tags: tags, events: events, mergeRequests: mergeRequests)
        #expect(secret.isGranted(to: origin) == granted)
        #expect(JobTrust.secrets([secret], for: origin) == (granted ? ["REGISTRY_TOKEN": "registry-0123456789"] : [:]))
    }

    @Test("a secret's events list limits it further: a secret for pushes only is not given to API or tag tasks")
    func eventsLimitSecrets() throws {
        let secret = try Self.secret(events: [.push])
        #expect(secret.isGranted(to: Self.push))
        #expect(!secret.isGranted(to: Self.api))
        #expect(!secret.isGranted(to: Self.tag))
    }

    @Test("merge request and note tasks' deploys do not run unless the target allows them; pushed code's always may")
    func deploysOnlyFromTrustedEvents() {
        var target = TargetConfig(name: "vote", serviceType: .k8s, repos: [], build: nil, deploy: "deploy", timeout: 60)
        #expect(JobTrust.deployRefusal(origin: Self.push, target: target) == nil)
        #expect(JobTrust.deployRefusal(origin: Self.api, target: target) == nil)
        #expect(JobTrust.deployRefusal(origin: Self.sameProjectMR, target: target)?.contains("deploy_merge_requests: true on target 'vote'") == true)
        #expect(JobTrust.deployRefusal(origin: Self.note, target: target) != nil)
        target.deployMergeRequests = true
        #expect(JobTrust.deployRefusal(origin: Self.sameProjectMR, target: target) == nil)
    }

    @Test("a delivery's origin says whether its merge request comes from a fork; a payload that does not say counts as one")
    func originFromDeliveries() throws {
        let open = try WebhookSample.facts("merge-request-open", .mergeRequest)
        #expect(TaskOrigin.webhook(open) == TaskOrigin(event: .mergeRequest, ref: open.ref, targetBranch: "main", fork: false))
        let note = try WebhookSample.facts("note-retry", .note)
        #expect(TaskOrigin.webhook(note).event == .note && !TaskOrigin.webhook(note).fork)
        var forked = try JSONSerialization.jsonObject(with: WebhookSample.body("merge-request-open")) as? [String: Any] ?? [:]
        var attributes = forked["object_attributes"] as? [String: Any] ?? [:]
        attributes["source_project_id"] = 99
        forked["object_attributes"] = attributes
        let forkFacts = try GitLabEvents.facts(event: .mergeRequest, repo: "voting-app", body: JSONSerialization.data(withJSONObject: forked))
        #expect(TaskOrigin.webhook(forkFacts).fork)
        attributes["source_project_id"] = nil
        forked["object_attributes"] = attributes
        let unknown = try GitLabEvents.facts(event: .mergeRequest, repo: "voting-app", body: JSONSerialization.data(withJSONObject: forked))
        #expect(TaskOrigin.webhook(unknown).fork)
        let push = try WebhookSample.facts("push-main", .push)
        #expect(TaskOrigin.webhook(push) == TaskOrigin(event: .push, ref: "main"))
    }

    @Test("an API task naming a merge request builds merge request code of unknown project: it counts as a fork")
    func apiOrigins() {
        let branch = TaskArguments(targets: [TargetArguments(name: "vote", serviceType: .k8s, build: BuildArguments(repos: [
            RepoArguments(repoName: "voting-app", branch: "main", pr: 0)]))], releaseImages: [])
        #expect(TaskOrigin.api(branch) == TaskOrigin(event: .api, ref: "main"))
        let request = TaskArguments(targets: [TargetArguments(name: "vote", serviceType: .k8s, build: BuildArguments(repos: [
            RepoArguments(repoName: "voting-app", branch: "feature", pr: 7)]))], releaseImages: [])
        #expect(TaskOrigin.api(request) == TaskOrigin(event: .mergeRequest, ref: "feature", fork: true))
    }

    @Test("pushed and API code names the ref each repo's commit must be on before secrets are given; merge request code needs no check")
    func refsToVerify() throws {
        let commit = try #require(CommitID("cbc6f2ea03f40346b8826737f2d47dc509ed66ea"))
        let arguments = TaskArguments(targets: [TargetArguments(name: "vote", serviceType: .k8s, build: BuildArguments(repos: [
            RepoArguments(repoName: "voting-app", branch: "main", pr: 0, commitID: commit),
            RepoArguments(repoName: "dyliu", branch: "develop", pr: 0, commitID: commit)]))], releaseImages: [])
        let claims = JobTrust.refsToVerify(Self.api, arguments: arguments).map { "\($0.repo) \($0.ref)" }
        #expect(claims == ["voting-app refs/heads/main", "dyliu refs/heads/develop"])
        #expect(JobTrust.refsToVerify(Self.tag, arguments: arguments).map(\.ref) == ["refs/tags/v1.0", "refs/tags/v1.0"])
        #expect(JobTrust.refsToVerify(Self.sameProjectMR, arguments: arguments).isEmpty)
    }

    @Test("a job's limits come from its stage job or target, then its workflow, then the executor")
    func limitsLayer() {
        let executor = JobLimits(memoryMB: 4096, pids: 1024, openFiles: 4096)
        let workflow = JobLimits(pids: 256, cpuSeconds: 600)
        let job = JobLimits(memoryMB: 512)
        #expect(JobLimits.effective(job: job, workflow: workflow, executor: executor)
            == JobLimits(memoryMB: 512, pids: 256, cpuSeconds: 600, openFiles: 4096))
        #expect(JobLimits.effective(job: nil, workflow: nil, executor: executor) == executor)
        #expect(JobLimits(memoryMB: 64, pids: 32, cpuSeconds: 5, fileSizeMB: 1, openFiles: 64).processOptions
            == ["--data=67108864", "--cpu=5:6", "--fsize=1048576", "--nofile=64"])
        #expect(JobLimits(pids: 32).pidsOption == "--nproc=32")
    }

    @Test("the limit a failed job hit is named from its signal or from what its tools printed",
          arguments: [
            (Int32?.none, "sh: 1: Cannot fork", "the pids limit (64 processes)"),
            (nil, "bash: fork: Resource temporarily unavailable", "the pids limit (64 processes)"),
            (nil, "Traceback (most recent call last):\nMemoryError", "the memory_mb limit (128 MB)"),
            (nil, "tail: memory exhausted", "the memory_mb limit (128 MB)"),
            (nil, "Too many open files", "the open_files limit (256)"),
            (24, "", "the cpu_seconds limit (5 s)"),
            (25, "", "the file_size_mb limit (2 MB)"),
            (nil, "make: *** [test] Error 1", nil),
            (9, "", nil),
          ] as [(Int32?, String, String?)])
    func limitDiagnosis(signal: Int32?, tail: String, named: String?) {
        let limits = JobLimits(memoryMB: 128, pids: 64, cpuSeconds: 5, fileSizeMB: 2, openFiles: 256)
        #expect(LimitDiagnosis.limitHit(signal: signal, output: tail, limits: limits) == named)
    }

    @Test("secret values are masked in streamed output, also when a value is split across reads")
    func masking() {
        let secret = "registry-0123456789"
        let text = "token=\(secret) and again \(secret)\nend"
        let expected = "token=[masked] and again [masked]\nend"
        for split in 0...text.utf8.count {
            var masker = SecretMasker(values: [secret, "unused-secret-value"])
            let bytes = Array(text.utf8)
            let out = masker.feed(bytes[..<split]) + masker.feed(bytes[split...]) + masker.finish()
            #expect(String(decoding: out, as: UTF8.self) == expected, "split at \(split)")
        }
        var byteByByte = SecretMasker(values: [secret])
        var out: [UInt8] = []
        for byte in text.utf8 { out += byteByByte.feed([byte]) }
        out += byteByByte.finish()
        #expect(String(decoding: out, as: UTF8.self) == expected)
        // Overlapping values of two secrets: every byte of both is masked, as one run.
        let overlapping = "token-abcdefgh-1234567 done"
        for split in 0...overlapping.utf8.count {
            var masker = SecretMasker(values: ["token-abc", "abcdefgh-1234567"])
            let bytes = Array(overlapping.utf8)
            let out = masker.feed(bytes[..<split]) + masker.feed(bytes[split...]) + masker.finish()
            #expect(String(decoding: out, as: UTF8.self) == "[masked] done", "split at \(split)")
        }
        var none = SecretMasker(values: [])
        #expect(none.feed(Array("plain".utf8)) == Array("plain".utf8))
    }

    @Test("sandbox, limits and secrets settings are read from every level")
    func settingsAreRead() throws {
        let config = try ConfigLoader.parse(yaml: FixtureFile.text("job-trust.yaml"), file: "job-trust.yaml",
                                            environment: ["API_TOKEN": "api-token-0123456789"])
        #expect(config.executor.isolation == .bwrap)
        #expect(config.executor.runAs == RunAs(uid: 1000, gid: 1001))
        #expect(config.executor.limits == JobLimits(memoryMB: 2048, pids: 256, fileSizeMB: 10_240, openFiles: 4096))
        let workflow = try #require(config.workflow(named: "wf"))
        #expect(workflow.limits == JobLimits(cpuSeconds: 600, openFiles: 1024))
        #expect(workflow.secrets.map(\.name) == ["REGISTRY_TOKEN", "REVIEW_TOKEN"])
        #expect(workflow.secrets[0].events == [.push, .tagPush, .api])
        #expect(workflow.secrets[1].events == [.push, .tagPush, .api, .mergeRequest, .note])
        let target = try #require(workflow.target(named: "vote"))
        #expect(target.rootfs == "/srv/images/debian-12")
        #expect(!target.network && target.deployMergeRequests)
        #expect(target.limits == JobLimits(memoryMB: 512))
        let unit = try #require(workflow.stages.first?.jobs.first)
        #expect(!unit.network && unit.limits == JobLimits(pids: 32))
        let defaults = try ConfigLoader.parse(yaml: FixtureFile.repositoryText("samples/trestle.yaml"), file: "samples/trestle.yaml",
                                              environment: ["TRESTLE_TOKEN": "t", "TRESTLE_WEBHOOK_TOKEN": "w"])
        #expect(defaults.executor.isolation == .bwrap && defaults.executor.runAs == .nobody && defaults.executor.limits == .defaults)
    }

    @Test("wrong sandbox, limits and secrets settings are each refused with what to write instead")
    func settingsProblems() throws {
        let error = try #require(throws: ConfigError.self) {
            try ConfigLoader.parse(yaml: FixtureFile.text("job-trust-problems.yaml"), file: "bad.yaml",
                                   environment: ["API_TOKEN": "api-token-0123456789", "SHORT_VALUE": "short"])
        }
        func problem(_ path: String) -> String { error.problems.first { $0.path == path }?.message ?? "" }
        #expect(problem("executor.isolation").contains("bwrap, none"))
        #expect(problem("executor.run_as").contains("other than root"))
        #expect(problem("executor.limits.pids").contains("from 8"))
        #expect(problem("executor.limits.swap_mb").contains("unknown key"))
        #expect(problem("workflows[0].secrets[0].name").contains("not PATH"))
        #expect(problem("workflows[0].secrets[1].value").contains("shorter than 8"))
        #expect(problem("workflows[0].secrets[2].value").contains("from the environment"))
        #expect(problem("workflows[0].secrets[3].events").contains("merge_requests: true"))
        #expect(problem("workflows[0].targets[0].rootfs").contains("absolute directory"))
        #expect(!error.description.contains("written-in-the-file") && !error.description.contains("api-token-0123456789"))
    }
}
