import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import TrestleServer

@Suite("Commits resolved through the mirrors: create by branch or merge request, status by prefix, covering")
struct TaskCommitResolutionTests {
    static let statusPath = "/api/directory/workflowTask"
    static let createPath = "/api/directory/workflowTask/create"
    static let reason = HTTPField.Name("X-Trestle-Reason")!

    /// A create body for target vote building `repos`, each `(repo_name, branch, pr, commit_id?)`.
    static func body(_ repos: [(String, String, Int, String?)]) -> String {
        let items = repos.map { name, branch, pr, commit in
            #"{"repo_name":"\#(name)","branch":"\#(branch)","pr":\#(pr)"# + (commit.map { #","commit_id":"\#($0)""# } ?? "") + "}"
        }
        return #"{"workflow_name":"voting-workflow-dev","env_name":"dev","targets":[{"name":"vote","build":{"repos":["#
            + items.joined(separator: ",") + "]}}]}"
    }

    static func builtCommits(_ client: any TestClientProtocol, task: Int) async throws -> [String] {
        let detail = try await client.call(.get, "/api/directory/workflowTask/id/\(task)/pipelines/voting-workflow-dev")
        let targets = try #require(try detail.object()["targets"] as? [[String: Any]])
        let repos = try #require((targets.first?["build"] as? [String: Any])?["repos"] as? [[String: Any]])
        return repos.compactMap { $0["commit_id"] as? String }
    }

    static func taskIDs(_ client: any TestClientProtocol, _ query: String) async throws -> [Int] {
        let response = try await client.call(.get, "\(statusPath)?\(query)")
        #expect(response.status == .ok, "\(query): \(response.text)")
        return try response.array().compactMap { $0["task_id"] as? Int }
    }

    @Test("a task created by branch builds the branch head as the remote has it, and is found by its 8-character id")
    func createByBranch() async throws {
        let remotes = try TestRemotes.shared.get()
        let head = try remotes.dyliu.revParse("main")
        try await TestServer.run { client in
            let created = try await client.call(.post, Self.createPath, json: TestServer.fixture("create-vote.json"))
            #expect(created.status == .ok, "\(created.text)")
            #expect(try await Self.builtCommits(client, task: 1).last == head)
            #expect(try await Self.taskIDs(client, "commitId=\(head.prefix(8))") == [1])
            #expect(try await Self.taskIDs(client, "commitId=\(head.prefix(8).uppercased())") == [1])
        }
    }

    @Test("a merge request id builds refs/merge-requests/<pr>/head")
    func createByMergeRequest() async throws {
        let remotes = try TestRemotes.shared.get()
        let mergeRequestHead = try remotes.votingApp.revParse("refs/merge-requests/7/head")
        try await TestServer.run { client in
            let created = try await client.call(.post, Self.createPath, json: Self.body([("voting-app", "feature", 7, nil)]))
            #expect(created.status == .ok, "\(created.text)")
            #expect(try await Self.builtCommits(client, task: 1) == [mergeRequestHead])
        }
    }

    @Test("unknown branches and merge requests are refused with 6540, each named by its field, and no task is stored")
    func unknownRefs() async throws {
        try await TestServer.run { client in
            let response = try await client.call(.post, Self.createPath,
                                                 json: Self.body([("voting-app", "no-such-branch", 0, nil), ("dyliu", "main", 99, nil)]))
            #expect(response.status == .badRequest)
            let error = try response.object()
            #expect(error["code"] as? Int == 6540)
            let description = try #require(error["description"] as? String)
            #expect(description.contains("targets[0].build.repos[0]: branch 'no-such-branch' is not in repo 'voting-app'"))
            #expect(description.contains("targets[0].build.repos[1]: merge request !99 is not in repo 'dyliu'"))
            let detail = try await client.call(.get, "/api/directory/workflowTask/id/1/pipelines/voting-workflow-dev")
            #expect(detail.status == .notFound)
        }
    }

    @Test("an unreachable remote answers 502 with 6540, naming the URL without its credentials")
    func unreachableRemote() async throws {
        try await TestServer.run(remotes: ["dyliu": "https://robot:s3cret-value@127.0.0.1:1/demo/dyliu.git"]) { client in
            let response = try await client.call(.post, Self.createPath, json: Self.body([("dyliu", "main", 0, nil)]))
            #expect(response.status == .badGateway)
            #expect(try response.object()["code"] as? Int == 6540)
            #expect(response.text.contains("https://127.0.0.1:1/demo/dyliu.git"))
            #expect(!response.text.contains("s3cret-value"))
            #expect(response.headers[Self.reason]?.contains("s3cret-value") == false)
        }
    }

    @Test("a prefix git resolves to one commit finds that commit's tasks only; a prefix no mirror knows falls back to the store")
    func prefixResolvesThroughMirrors() async throws {
        let remotes = try TestRemotes.shared.get()
        let head = try remotes.dyliu.revParse("main")
        let neighbour = String(head.prefix(8)) + String(repeating: "0", count: 32)
        try #require(neighbour != head)
        try await TestServer.run { (client: any TestClientProtocol) async throws in
            #expect(try await client.call(.post, Self.createPath, json: Self.body([("dyliu", "main", 0, nil)])).status == .ok)
            #expect(try await client.call(.post, Self.createPath, json: Self.body([("voting-app", "main", 0, neighbour)])).status == .ok)
            #expect(try await Self.taskIDs(client, "commitId=\(head.prefix(8))") == [1])
            #expect(try await Self.taskIDs(client, "commitId=\(neighbour)") == [2])
            #expect(try await Self.taskIDs(client, "commitId=\(neighbour.prefix(12))") == [2])
        }
    }

    @Test("a prefix that names two commits in a mirror answers 400 with the seed body and says it is ambiguous")
    func ambiguousPrefix() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("trestle-ambiguous-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let remote = try TestRepo.make(at: root, commits: 5)
        let prefix = try remote.run(script: "TrestleServerTests/Fixtures/add-colliding-commits.sh")
        try await TestServer.run(remotes: ["voting-app": remote.url]) { client in
            #expect(try await client.call(.post, Self.createPath, json: Self.body([("voting-app", "probe-a", 0, nil)])).status == .ok)
            let response = try await client.call(.get, "\(Self.statusPath)?commitId=\(prefix)")
            #expect(response.status == .badRequest)
            #expect(response.text == #"{"errorMsg":"param is illegal!","resultCode":400}"#)
            #expect(response.headers[Self.reason]?.contains("ambiguous") == true)
        }
    }

    @Test("covering=true adds the tasks that built descendants of the commit, newest first")
    func coveringQueries() async throws {
        let remotes = try TestRemotes.shared.get()
        let older = try remotes.votingApp.revParse("main~3")
        let main = try remotes.votingApp.revParse("main")
        let feature = try remotes.votingApp.revParse("feature")
        try await TestServer.run { client in
            for body in [Self.body([("voting-app", "main", 0, older)]), Self.body([("voting-app", "main", 0, nil)]),
                         Self.body([("voting-app", "feature", 7, nil)])] {
                #expect(try await client.call(.post, Self.createPath, json: body).status == .ok)
            }
            #expect(try await Self.taskIDs(client, "commitId=\(older.prefix(8))") == [1])
            #expect(try await Self.taskIDs(client, "commitId=\(older.prefix(8))&covering=false") == [1])
            #expect(try await Self.taskIDs(client, "commitId=\(older.prefix(8))&covering=true") == [3, 2, 1])
            #expect(try await Self.taskIDs(client, "commitId=\(main)&covering=true") == [3, 2])
            #expect(try await Self.taskIDs(client, "commitId=\(feature.prefix(8))&covering=true") == [3])
            let bad = try await client.call(.get, "\(Self.statusPath)?commitId=\(main.prefix(8))&covering=yes")
            #expect(bad.status == .badRequest)
        }
    }
}
