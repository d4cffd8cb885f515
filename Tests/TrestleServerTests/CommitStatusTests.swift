import Foundation
import HummingbirdTesting
import Testing

/// Webhook tasks' commit statuses, sent to a GitLab stand-in on loopback.
@Suite("GitLab commit statuses of webhook tasks")
struct CommitStatusTests {
    static let gitlabToken = "glpat-0123456789abcdef"

    /// A push of the voting-app head, as GitLab sends it (project id 15 in the sample).
    static func push(head: String) throws -> String {
        try WebhookReceiverTests.sample("push-main").replacingOccurrences(of: WebhookReceiverTests.mainHead, with: head)
    }

    static func run(_ gitlab: GitLabStandIn, control: ExecutorTests.Control, engine: TestEngine = .sqlite,
                    _ body: @Sendable @escaping (any TestClientProtocol) async throws -> Void) async throws {
        try await gitlab.run { url in
            var environment = control.environment
            environment["GITLAB_URL"] = url
            environment["GITLAB_TOKEN"] = Self.gitlabToken
            try await TestServer.run(configFile: "gitlab.yaml", environment: environment, engine: engine, body)
        }
    }

    static func waitForStates(_ gitlab: GitLabStandIn, count: Int) async throws {
        try await ExecutorTests.waitFor("\(count) commit statuses", seconds: 30) { gitlab.states.count >= count }
    }

    @Test("a webhook task's commit goes pending, running, then success in GitLab, with the task's url and the workflow's name",
          arguments: TestEngine.allCases)
    func pendingRunningSuccess(engine: TestEngine) async throws {
        let control = try ExecutorTests.Control()
        try control.write("script.sh", "echo ok\n")
        let head = try TestRemotes.shared.get().votingApp.revParse("main")
        let gitlab = GitLabStandIn()
        try await Self.run(gitlab, control: control, engine: engine) { client in
            try await WebhookReceiverTests.send(client, try Self.push(head: head))
            try await Self.waitForStates(gitlab, count: 3)
            #expect(gitlab.states == ["pending", "running", "success"])
            let first = try #require(gitlab.received.withLock { $0.first })
            #expect(first.project == "15" && first.sha == head && first.ref == "main" && first.name == "gl")
            #expect(first.targetURL == "http://trestle.test/v1/projects/detail/voting/pipelines/multi/gl/1")
            #expect(first.token == Self.gitlabToken)
            let task = try await ExecutorTests.detail(client, workflow: "gl", task: 1)
            let status = try #require(task["commit_status"] as? [String: Any])
            #expect(status["wanted"] as? String == "success" && status["sent"] as? String == "success")
        }
    }

    @Test("a send GitLab refuses with 503 is retried, its error kept meanwhile, and a failed task ends failed in GitLab")
    func retriedAfterUnavailable() async throws {
        let control = try ExecutorTests.Control()
        try control.write("script.sh", "exit 1\n")
        let head = try TestRemotes.shared.get().votingApp.revParse("main")
        let gitlab = GitLabStandIn(failing: 1)
        try await Self.run(gitlab, control: control) { client in
            try await WebhookReceiverTests.send(client, try Self.push(head: head))
            try await ExecutorTests.wait(client, workflow: "gl", task: 1)
            // The first send (pending) met a 503 and was retried; the later states waited behind it.
            try await ExecutorTests.waitFor("the failed state in GitLab", seconds: 30) { gitlab.states.last == "failed" }
            #expect(gitlab.states == ["pending", "running", "failed"])
            let task = try await ExecutorTests.detail(client, workflow: "gl", task: 1)
            #expect(task["status"] as? String == "failed")
            let status = try #require(task["commit_status"] as? [String: Any])
            #expect(status["wanted"] as? String == "failed" && status["sent"] as? String == "failed")
            #expect((status["last_error"] as? String ?? "").contains("GitLab answered 503"), "\(status)")
        }
    }

    @Test("a restart sends a fresh pending, then the new attempt's states")
    func restartSendsPendingAgain() async throws {
        let control = try ExecutorTests.Control()
        try control.write("script.sh", "exit 1\n")
        let head = try TestRemotes.shared.get().votingApp.revParse("main")
        let gitlab = GitLabStandIn()
        try await Self.run(gitlab, control: control) { client in
            try await WebhookReceiverTests.send(client, try Self.push(head: head))
            try await ExecutorTests.wait(client, workflow: "gl", task: 1)
            try await ExecutorTests.waitFor("the failed state in GitLab", seconds: 30) { gitlab.states.last == "failed" }
            try control.write("script.sh", "echo fixed\n")
            let restart = try await client.call(.post, "/api/directory/workflowTask/id/1/pipelines/gl/restart")
            #expect(restart.status == .ok)
            try await ExecutorTests.waitFor("the success state in GitLab", seconds: 30) { gitlab.states.last == "success" }
            let states = gitlab.states
            let failed = try #require(states.firstIndex(of: "failed"))
            #expect(Array(states[failed...]).first == "failed")
            #expect(states[failed...].contains("pending") || states[failed...].contains("running"),
                    "the new attempt is announced before it ends: \(states)")
            #expect(states.last == "success")
        }
    }

    @Test("a merge request task's end is noted once on the merge request; a restart's end edits that note")
    func mergeRequestNote() async throws {
        let control = try ExecutorTests.Control()
        try control.write("script.sh", "exit 1\n")
        let head = try TestRemotes.shared.get().votingApp.revParse("main")
        let gitlab = GitLabStandIn()
        let opened = try WebhookReceiverTests.sample("merge-request-open")
            .replacingOccurrences(of: "5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f", with: head)
        try await Self.run(gitlab, control: control) { client in
            try await WebhookReceiverTests.send(client, opened, event: "Merge Request Hook")
            try await ExecutorTests.wait(client, workflow: "gl", task: 1)
            try await ExecutorTests.waitFor("the note", seconds: 30) { gitlab.notes.withLock { $0.count } == 1 }
            let first = try #require(gitlab.notes.withLock { $0.first })
            #expect(first.hasPrefix("POST 12 Trestle: workflow **gl**, task [1](http://trestle.test/v1/projects/detail/voting/pipelines/multi/gl/1)"))
            #expect(first.hasSuffix("attempt 1: **failed**"), "\(first)")
            try control.write("script.sh", "echo fixed\n")
            _ = try await client.call(.post, "/api/directory/workflowTask/id/1/pipelines/gl/restart")
            try await ExecutorTests.waitFor("the edited note", seconds: 30) { gitlab.notes.withLock { $0.count } == 2 }
            let notes = gitlab.notes.withLock { $0 }
            #expect(notes[1].hasPrefix("PUT 12/77 ") && notes[1].hasSuffix("attempt 2: **passed**"), "\(notes)")
            try await ExecutorTests.waitFor("the success state", seconds: 30) { gitlab.states.last == "success" }
            #expect(gitlab.received.withLock { $0.first?.ref } == "feature/tally")
        }
    }
}
