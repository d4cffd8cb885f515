import Testing
import TrestleCore

@Suite("Outbound policy: allowed patterns, the server's own samples, never metadata")
struct OutboundPolicyTests {
    static func allowed(_ policy: OutboundPolicy, _ url: String) -> Bool {
        if case .success = policy.check(url) { return true }
        return false
    }

    @Test func patternsMatchTheNormalFormWithOrWithoutTheDefaultPort() {
        let policy = OutboundPolicy(patterns: ["https://functions.internal/*", "http://127.0.0.1:*/*"], ownOrigin: nil)
        #expect(Self.allowed(policy, "https://functions.internal/add.json"))
        #expect(Self.allowed(policy, "https://FUNCTIONS.internal:443/add.json"))
        #expect(Self.allowed(policy, "http://127.0.0.1:9000/x"))
        #expect(!Self.allowed(policy, "https://functions.internal.evil.example/add.json"))
        #expect(!Self.allowed(policy, "http://127.0.0.1:80@evil.example/x"))
        #expect(!Self.allowed(policy, "ftp://functions.internal/x"))
        #expect(!Self.allowed(policy, "https://functions.internal:8443/x"))
    }

    @Test func aStarInTheHostNeverReachesIntoThePath() {
        let policy = OutboundPolicy(patterns: ["https://*.functions.internal/*", "http://[fd00::1]:8000/*"], ownOrigin: nil)
        #expect(Self.allowed(policy, "https://add.functions.internal/run"))
        #expect(!Self.allowed(policy, "https://evil.example/.functions.internal/x"))
        #expect(!Self.allowed(policy, "https://evil.example:443/.functions.internal/x"))
        #expect(Self.allowed(policy, "http://[fd00::1]:8000/a"))
        // Checked as written: the path's `@` is path, and the call goes to that host.
        guard case .success(let target) = policy.check("http://[fd00::1]:8000/a@169.254.169.254/latest") else {
            Issue.record("refused")
            return
        }
        #expect(target.host == "fd00::1")
    }

    @Test func theServersOwnSampleFunctionsAreAlwaysAllowedAndNothingElseOfIt() {
        let policy = OutboundPolicy(patterns: [], ownOrigin: "http://127.0.0.1:8080")
        #expect(Self.allowed(policy, "http://127.0.0.1:8080/flow/sample/start_node.json"))
        #expect(Self.allowed(policy, "http://127.0.0.1:8080/flow/sample/end_node.json"))
        #expect(!Self.allowed(policy, "http://127.0.0.1:8080/api/directory/workflowTask/create"))
        #expect(!Self.allowed(policy, "http://127.0.0.1:8081/flow/sample/start_node.json"))
    }

    @Test func linkLocalAndMetadataAddressesAreRefusedEvenWhenAPatternMatches() {
        let policy = OutboundPolicy(patterns: ["http://*"], ownOrigin: nil)
        for url in ["http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/latest/", "http://[fe80::1]/",
                    "http://[::ffff:169.254.169.254]/", "http://metadata.google.internal/computeMetadata/v1/"] {
            guard case .failure(let refusal) = policy.check(url) else {
                Issue.record("allowed \(url)")
                continue
            }
            #expect(refusal.reason.contains("link-local or cloud metadata address"), "\(url)")
        }
        #expect(Self.allowed(policy, "http://169.253.1.1/"))
        #expect(OutboundPolicy.isForbidden(address: [169, 254, 0, 1]))
        #expect(!OutboundPolicy.isForbidden(address: [127, 0, 0, 1]))
    }
}

@Suite("Claim admission and flows' parallel cap")
struct ClaimAdmissionTests {
    @Test func aFlowsExecutionsAreLimitedLikeAWorkflowsTasks() {
        let limits = RunLimits(total: 10, perWorkflow: ["limited": 1], configured: ["limited", "free"], perFlow: 2)
        #expect(limits.admits("free", running: ["free": 5], mine: 5))
        #expect(!limits.admits("limited", running: ["limited": 1], mine: 1))
        #expect(limits.admits("ws:flow", running: ["ws:flow": 1], mine: 1))
        #expect(!limits.admits("ws:flow", running: ["ws:flow": 2], mine: 2))
        #expect(!limits.admits("free", running: ["free": 4, "ws:flow": 6], mine: 10))
        #expect(limits.admits("free", running: ["free": 4, "ws:flow": 6], mine: 3), "the others' tasks take none of this executor's slots")
    }

    static func stage(_ statuses: [TaskStatus]) -> [StageRecord] {
        [StageRecord(name: "flow", status: .running, jobs: statuses.enumerated().map {
            JobRecord(name: "t\($0.offset)", kind: .pass, target: "", status: $0.element)
        })]
    }

    @Test func maxParallelStartsOnlyAsManyAsThereIsRoomFor() {
        let rules = JobRules(maxParallel: 2)
        #expect(TaskProgress.next(Self.stage([.created, .created, .created]), rules: rules) == .start(stage: 0, jobs: [0, 1]))
        #expect(TaskProgress.next(Self.stage([.running, .created, .created]), rules: rules) == .start(stage: 0, jobs: [1]))
        #expect(TaskProgress.next(Self.stage([.running, .running, .created]), rules: rules) == .wait)
        #expect(TaskProgress.next(Self.stage([.passed, .running, .created]), rules: rules) == .start(stage: 0, jobs: [2]))
        #expect(TaskProgress.next(Self.stage([.created, .created, .created])) == .start(stage: 0, jobs: [0, 1, 2]))
    }

    @Test func aJobsStartChangesOneJobRowAndItsStageRow() {
        let before = Self.stage([.passed, .created, .created])
        let after = TaskProgress.updating(before, stage: 0, job: 1, to: .running, at: 5)
        #expect(TaskProgress.changes(from: before, to: after) == StageChanges(stages: [0], jobs: [JobAddress(stage: 0, job: 1)]))
        #expect(TaskProgress.changes(from: after, to: after) == StageChanges())
        #expect(TaskProgress.changes(from: before, to: before + before) == nil)
    }
}
