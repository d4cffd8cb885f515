import Foundation
import Testing
import TrestleCore

@Suite("Delivery policy: planning, coalescing, auto-cancel and claim admission, decided without I/O")
struct DeliveryPolicyTests {
    static func delivery(_ sample: String, header: String) throws -> NewDelivery {
        NewDelivery(dedupeKey: "k", eventHeader: header, repo: "voting-app", receivedTime: 0, headers: [:],
                    body: try WebhookSample.body(sample))
    }

    static func plan(key: String? = "key", autoCancel: Bool = false) -> PlannedWebhookTask {
        let arguments = TaskArguments(targets: [], releaseImages: [])
        let task = NewTask(workflow: "wf", project: "voting", env: "dev", trigger: TaskTrigger(kind: .webhook, by: "push delivery 9"),
                           arguments: arguments, stages: [], createTime: 0)
        return PlannedWebhookTask(task: task, coalescingKey: key, subject: "branch:main", autoCancel: autoCancel)
    }

    @Test("a push a rule matches plans one task; an event no rule takes and a bad payload are settled with their reason")
    func planning() throws {
        let config = WebhookSample.config([try WebhookSample.trigger([.push])])
        guard case .complete(let outcome, let tasks) = DeliveryPlanner.plan(try Self.delivery("push-main", header: "Push Hook"),
                                                                            id: 9, config: config, time: 100) else {
            Issue.record("expected a complete plan")
            return
        }
        #expect(outcome.state == .created)
        #expect(tasks.map(\.task.workflow) == ["wf"])
        #expect(tasks.first?.task.origin == TaskOrigin(event: .push, ref: "main"))
        #expect(tasks.first?.subject == "branch:main")
        guard case .complete(let ignored, let none) = DeliveryPlanner.plan(try Self.delivery("tag-push", header: "Tag Push Hook"),
                                                                           id: 9, config: config, time: 100) else {
            Issue.record("expected a complete plan")
            return
        }
        #expect(ignored.state == .ignored && none.isEmpty)
        #expect(ignored.reason.contains("no trigger rule acts on tag_push events"))
        let bad = NewDelivery(dedupeKey: "k", eventHeader: "Push Hook", repo: "voting-app", receivedTime: 0, headers: [:], body: Data("{}".utf8))
        guard case .complete(let failed, _) = DeliveryPlanner.plan(bad, id: 9, config: config, time: 100) else {
            Issue.record("expected a complete plan")
            return
        }
        #expect(failed.state == .failed && failed.reason.hasPrefix("bad payload:"))
    }

    @Test("a rule with a path filter asks for the changed paths, then plans with them")
    func pathsAreAskedFor() throws {
        let config = WebhookSample.config([try WebhookSample.trigger([.mergeRequest]) { $0.paths = [try RefPattern("vote/**")] }])
        let delivery = try Self.delivery("merge-request-open", header: "Merge Request Hook")
        guard case .needChangedPaths(let facts, _) = DeliveryPlanner.plan(delivery, id: 3, config: config, time: 1) else {
            Issue.record("expected a request for changed paths")
            return
        }
        #expect(facts.mergeRequest != nil)
        guard case .complete(let outcome, let tasks) = DeliveryPlanner.plan(delivery, id: 3, config: config,
                                                                            changedPaths: ["vote/app.py"], time: 1) else {
            Issue.record("expected a complete plan")
            return
        }
        #expect(outcome.state == .created && tasks.count == 1)
        guard case .complete(let skipped, let none) = DeliveryPlanner.plan(delivery, id: 3, config: config,
                                                                           changedPaths: ["docs/readme.md"], time: 1) else {
            Issue.record("expected a complete plan")
            return
        }
        #expect(skipped.state == .ignored && none.isEmpty)
    }

    @Test("completion: the same build coalesces, a newer delivery wins under auto_cancel, older active tasks are cancelled",
          arguments: [
            (Optional("key"), false, BuildHistory(), BuildAction.create(cancelling: [])),
            ("key", false, BuildHistory(sameBuild: (4, 2)), .skip(note: "workflow 'wf': same build as delivery 4 (task 2); no new task")),
            (nil, false, BuildHistory(sameBuild: (4, 2)), .create(cancelling: [])),
            ("key", true, BuildHistory(newerDelivery: 12, olderActiveTasks: [1]),
             .skip(note: "workflow 'wf': delivery 12 of branch:main is newer; no new task (auto_cancel)")),
            ("key", true, BuildHistory(olderActiveTasks: [1, 3]), .create(cancelling: [1, 3])),
            ("key", false, BuildHistory(olderActiveTasks: [1, 3]), .create(cancelling: [])),
          ] as [(String?, Bool, BuildHistory, BuildAction)])
    func completion(key: String?, autoCancel: Bool, history: BuildHistory, action: BuildAction) {
        #expect(DeliveryCompletionPolicy.decide(Self.plan(key: key, autoCancel: autoCancel), history: history) == action)
    }

    @Test("the outcome says duplicate build when every plan coalesced, and lists what was skipped or cancelled beside created tasks")
    func completionOutcome() {
        let planned = DeliveryOutcome(state: .created, reason: "wf: matched")
        let same = "workflow 'wf': same build as delivery 4 (task 2); no new task"
        let duplicate = DeliveryCompletionPolicy.outcome(planned: planned, planCount: 1, created: [], notes: [same])
        #expect(duplicate.state == .ignored && duplicate.reason == "duplicate build: " + same)
        let newer = DeliveryCompletionPolicy.outcome(planned: planned, planCount: 1, created: [], notes: ["delivery 12 is newer"])
        #expect(newer.reason.hasPrefix("no new task: "))
        let created = DeliveryCompletionPolicy.outcome(planned: planned, planCount: 1, created: [CreatedTaskRef(workflow: "wf", taskID: 5)],
                                                       notes: ["cancelled older task 1"])
        #expect(created.state == .created && created.reason == "wf: matched; cancelled older task 1" && created.tasks.count == 1)
        let ignored = DeliveryOutcome(state: .ignored, reason: "ignored: no rule")
        #expect(DeliveryCompletionPolicy.outcome(planned: ignored, planCount: 0, created: [], notes: []) == ignored)
    }

    @Test("claims: oldest first within this executor's slots and each workflow's cluster-wide limit; a workflow at its limit hides no other",
          arguments: [
            // (running on every executor, of them this executor's, candidates by workflow, admitted indices)
            ([String: Int](), 0, ["a", "a", "b"], [0, 1, 2]),
            (["a": 2], 2, ["a", "b", "a", "b"], [1, 3]),
            (["b": 3], 3, ["a", "a", "a", "b"], [0]),
            (["a": 1], 1, ["a", "a", "b"], [0, 2]),
            (["x": 4], 4, ["a"], []),
            // Other executors' tasks take none of this one's slots, but count toward a workflow's limit.
            (["x": 4], 0, ["x", "x", "b", "b", "x"], [0, 1, 2, 3]),
            (["a": 2], 0, ["a", "b", "a"], [1]),
          ] as [([String: Int], Int, [String], [Int])])
    func claims(running: [String: Int], mine: Int, workflows: [String], admitted: [Int]) {
        let limits = RunLimits(total: 4, perWorkflow: ["a": 2], configured: ["a", "b", "x"])
        let candidates = workflows.enumerated().map { ClaimAdmission.Candidate(key: Int64($0.offset), workflow: $0.element) }
        #expect(ClaimAdmission.admit(candidates, running: running, mine: mine, limits: limits).map { Int($0.key) } == admitted)
        let free = 4 - mine
        #expect(ClaimAdmission.lookAhead(mine: mine, limits: limits) == (free > 0 ? max(free * 8, 64) : 0))
    }
}
