import Foundation
import HummingbirdTesting
import Testing

/// A repo's webhook secret lets its holder write any payload: the project Trestle posts statuses to
/// with its own GitLab token must come from the config, never from the payload.
@Suite("GitLab statuses go only where the repo says")
struct GitLabProjectTests {
    static func push(head: String, projectID: Int) throws -> String {
        try CommitStatusTests.push(head: head)
            .replacingOccurrences(of: "\"project_id\": 15", with: "\"project_id\": \(projectID)")
            .replacingOccurrences(of: "\"id\": 15", with: "\"id\": \(projectID)")
    }

    @Test func aPayloadNamingAnotherProjectIDIsRefusedAndStatusesGoToTheRepoProject() async throws {
        let control = try ExecutorTests.Control()
        try control.write("script.sh", "echo ok\n")
        let head = try TestRemotes.shared.get().votingApp.revParse("main")
        let gitlab = GitLabStandIn()
        try await CommitStatusTests.run(gitlab, control: control) { client in
            // Looked up once at start, by the repo's gitlab_project.
            try await ExecutorTests.waitFor("the project id looked up at start") { gitlab.lookups.withLock { !$0.isEmpty } }
            try await ExecutorTests.waitFor("the project id kept") {
                // The lookup's answer is kept once the request has completed.
                gitlab.lookups.withLock { $0 == ["demo/voting-app"] }
            }
            var refused = try await WebhookReceiverTests.send(client, try Self.push(head: head, projectID: 999))
            let deadline = ContinuousClock.now + .seconds(10)
            while refused.status == .ok, ContinuousClock.now < deadline {
                // The answer may have been in flight when the push arrived: wait until it is kept.
                try await Task.sleep(for: .milliseconds(50))
                refused = try await WebhookReceiverTests.send(client, try Self.push(head: head, projectID: 999))
            }
            #expect(refused.status == .badRequest)
            let reason = try refused.object()["reason"] as? String ?? ""
            #expect(reason.contains("project.id 999 is not repo 'voting-app''s GitLab project (15)"), "\(reason)")
            try await WebhookReceiverTests.send(client, try Self.push(head: head, projectID: 15))
            try await CommitStatusTests.waitForStates(gitlab, count: 3)
            // Every status went to the repo's project (also any of a 999 push taken while the
            // lookup's answer was on its way).
            #expect(gitlab.received.withLock { $0.map(\.project) }.allSatisfy { $0 == "15" })
            #expect(gitlab.lookups.withLock { $0 } == ["demo/voting-app"], "looked up once, then kept")
        }
    }

    @Test func gitLabsTokenNeverFollowsARedirectToAnotherOrigin() async throws {
        let control = try ExecutorTests.Control()
        try control.write("script.sh", "echo ok\n")
        let head = try TestRemotes.shared.get().votingApp.revParse("main")
        let elsewhere = GitLabStandIn()
        try await elsewhere.run { elsewhereURL in
            let gitlab = GitLabStandIn(redirectTo: elsewhereURL)
            try await CommitStatusTests.run(gitlab, control: control) { client in
                try await WebhookReceiverTests.send(client, try CommitStatusTests.push(head: head))
                try await ExecutorTests.wait(client, workflow: "gl", task: 1)
                var error = ""
                let deadline = ContinuousClock.now + .seconds(20)
                while !error.contains("GitLab answered 302"), ContinuousClock.now < deadline {
                    let task = try await ExecutorTests.detail(client, workflow: "gl", task: 1)
                    error = (task["commit_status"] as? [String: Any])?["last_error"] as? String ?? ""
                    try await Task.sleep(for: .milliseconds(50))
                }
                #expect(error.contains("GitLab answered 302"), "\(error)")
                #expect(elsewhere.received.withLock { $0.isEmpty }, "the other origin got a status (and GitLab's token)")
                #expect(elsewhere.lookups.withLock { $0.isEmpty })
            }
        }
    }
}
