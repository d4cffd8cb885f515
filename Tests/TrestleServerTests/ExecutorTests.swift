import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import TrestleCore
import TrestleServer
import TrestleSQLite
import TrestleStore
import TrestleTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Tasks run by the executor of a live server (executor.yaml), with real processes and real repos.
@Suite("Executor: tasks run their stages and jobs as processes")
struct ExecutorTests {
    /// A directory the test's job commands write their traces to (`${CONTROL}` in executor.yaml).
    final class Control: Sendable {
        let url: URL

        init() throws {
            url = FileManager.default.temporaryDirectory.appendingPathComponent("trestle-control-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        }

        var environment: [String: String] { ["CONTROL": url.path] }

        func write(_ name: String, _ text: String) throws {
            try text.write(to: url.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }

        func read(_ name: String) -> String? {
            try? String(contentsOf: url.appendingPathComponent(name), encoding: .utf8)
        }

        func exists(_ name: String) -> Bool {
            FileManager.default.fileExists(atPath: url.appendingPathComponent(name).path)
        }

        deinit {
            try? FileManager.default.removeItem(at: url)
        }
    }

    static func create(_ client: any TestClientProtocol, workflow: String = "runs", target: String,
                       branch: String = "main", commit: String? = nil, releaseImages: String? = nil) async throws -> Int {
        let commitField = commit.map { #","commit_id":"\#($0)""# } ?? ""
        let branchJSON = String(decoding: try JSONEncoder().encode(branch), as: UTF8.self)
        var body = #"{"workflow_name":"\#(workflow)","env_name":"dev","targets":[{"name":"\#(target)","build":{"repos":["#
            + #"{"repo_name":"voting-app","branch":\#(branchJSON),"pr":0\#(commitField)}"#
        if target == "vote", workflow == "runs" {
            body += #",{"repo_name":"dyliu","branch":"main","pr":0}"#
        }
        body += "]}}]"
        if let releaseImages { body += #","release_images":\#(releaseImages)"# }
        body += "}"
        let created = try await client.call(.post, "/api/directory/workflowTask/create", json: body)
        #expect(created.status == .ok, "\(created.text)")
        return try #require(try created.object()["task_id"] as? Int)
    }

    static func detail(_ client: any TestClientProtocol, workflow: String = "runs", task: Int) async throws -> [String: Any] {
        try await client.call(.get, "/api/directory/workflowTask/id/\(task)/pipelines/\(workflow)").object()
    }

    /// Polls the task until its status is one of `statuses`, for at most `seconds`.
    @discardableResult
    static func wait(_ client: any TestClientProtocol, workflow: String = "runs", task: Int,
                     for statuses: Set<String> = ["passed", "failed", "timeout", "cancelled"],
                     seconds: Double = 30) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while true {
            let task = try await detail(client, workflow: workflow, task: task)
            if let status = task["status"] as? String, statuses.contains(status) { return task }
            guard ContinuousClock.now < deadline else {
                Issue.record("task did not reach \(statuses.sorted()) within \(seconds) s: \(task)")
                return task
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    static func waitFor(_ what: String, seconds: Double = 10, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("\(what) did not happen within \(seconds) s")
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    static func jobs(_ task: [String: Any]) -> [[String: Any]] {
        ((task["stages"] as? [[String: Any]]) ?? []).flatMap { ($0["jobs"] as? [[String: Any]]) ?? [] }
    }

    static func job(_ task: [String: Any], _ name: String) -> [String: Any] {
        jobs(task).first { $0["name"] as? String == name } ?? [:]
    }

    static func log(_ client: any TestClientProtocol, workflow: String = "runs", task: Int, job: String,
                    attempt: Int? = nil) async throws -> String {
        let query = "job=\(job)" + (attempt.map { "&attempt=\($0)" } ?? "")
        let response = try await client.call(.get, "/api/directory/workflowTask/id/\(task)/pipelines/\(workflow)/logs?\(query)")
        #expect(response.status == .ok, "\(response.text)")
        return response.text
    }

    /// Whether the process group of a pid file's job (its first pid), or the child it started (its second), still exists.
    static func alive(_ pidFile: String?) -> Bool {
        let pids = (pidFile ?? "").split(whereSeparator: \.isWhitespace).compactMap { pid_t(String($0)) }
        guard pids.count == 2 else { return false }
        return kill(-pids[0], 0) == 0 || kill(pids[1], 0) == 0
    }

    static func run(_ control: Control, _ body: @Sendable @escaping (any TestClientProtocol) async throws -> Void) async throws {
        try await TestServer.run(configFile: "executor.yaml", environment: control.environment, body)
    }

    @Test("a task builds its repos checked out at their commits, announces an image, deploys it, and passes")
    func runsToPassed() async throws {
        let control = try Control()
        let head = try TestRemotes.shared.get().votingApp.revParse("main")
        try await Self.run(control) { client in
            let id = try await Self.create(client, target: "vote")
            let task = try await Self.wait(client, task: id)
            #expect(task["status"] as? String == "passed", "\(task)")
            #expect((task["start_time"] as? Int ?? 0) > 0 && (task["end_time"] as? Int ?? 0) > 0)
            #expect((task["stages"] as? [[String: Any]])?.map { $0["status"] as? String } == ["passed", "passed"])
            #expect(Self.job(task, "build-vote")["image"] as? String == "registry.test/vote:\(head)")
            #expect(try await Self.log(client, task: id, job: "build-vote").contains("built voting-app main at \(head)"))
            #expect(try await Self.log(client, task: id, job: "deploy-vote")
                .contains("deploying registry.test/vote:\(head) as vote (k8s) to dev"))
            let status = try await client.call(.get, "/api/directory/workflowTask?commitId=\(head.prefix(8))")
            #expect(try status.array().first { $0["task_id"] as? Int == id }?["status"] as? String == "passed")
        }
    }

    @Test("a failing command fails its job and the task, the deploy never starts, and a restart after the fix re-runs only what failed")
    func failThenRestart() async throws {
        let control = try Control()
        try control.write("script.sh", "echo broken; exit 3\n")
        try await Self.run(control) { client in
            let id = try await Self.create(client, target: "scripted")
            let failed = try await Self.wait(client, task: id)
            #expect(failed["status"] as? String == "failed")
            let build = Self.job(failed, "build-scripted")
            #expect(build["status"] as? String == "failed")
            #expect((build["error"] as? String ?? "").contains("exited with status 3"))
            let deploy = Self.job(failed, "deploy-scripted")
            #expect(deploy["status"] as? String == "created")
            #expect((deploy["error"] as? String ?? "").contains("not run: stage 'build' did not pass"))

            try control.write("script.sh", "echo fixed; echo registry.test/scripted:2 > \"$TRESTLE_IMAGE_FILE\"\n")
            let restart = try await client.call(.post, "/api/directory/workflowTask/id/\(id)/pipelines/runs/restart")
            #expect(restart.status == .ok, "\(restart.text)")
            let passed = try await Self.wait(client, task: id, for: ["passed", "failed", "timeout", "cancelled"])
            #expect(passed["status"] as? String == "passed", "\(passed)")
            #expect(passed["attempt"] as? Int == 2)
            #expect((passed["attempts"] as? [[String: Any]])?.map { $0["status"] as? String } == ["failed", "passed"])
            #expect(Self.job(passed, "deploy-scripted")["image"] as? String == "registry.test/scripted:2")
            #expect(try await Self.log(client, task: id, job: "build-scripted", attempt: 1).contains("broken"))
            #expect(try await Self.log(client, task: id, job: "deploy-scripted").contains("deployed registry.test/scripted:2"))
        }
    }

    @Test("a job past its timeout ends as timeout, and no process of its group is left behind")
    func jobTimeout() async throws {
        let control = try Control()
        try await Self.run(control) { client in
            let id = try await Self.create(client, target: "slow")
            let task = try await Self.wait(client, task: id)
            #expect(task["status"] as? String == "timeout")
            #expect((Self.job(task, "build-slow")["error"] as? String ?? "").contains("target timeout 2 s"))
            let pidFile = control.read("slow-\(id).pid")
            #expect(pidFile != nil)
            try await Self.waitFor("the job's process group to be gone") { !Self.alive(pidFile) }
        }
    }

    @Test("a job that closed its output still ends at its timeout, its group gone")
    func timeoutAfterOutputClosed() async throws {
        let control = try Control()
        try await Self.run(control) { client in
            let id = try await Self.create(client, target: "quiet")
            let task = try await Self.wait(client, task: id, seconds: 20)
            #expect(task["status"] as? String == "timeout")
            let pidFile = control.read("quiet-\(id).pid")
            #expect(pidFile != nil)
            try await Self.waitFor("the quiet job's process group to be gone") { !Self.alive(pidFile) }
        }
    }

    @Test("a task past its workflow's timeout ends as timeout with its processes gone")
    func taskTimeout() async throws {
        let control = try Control()
        try await Self.run(control) { client in
            let id = try await Self.create(client, workflow: "short", target: "hang")
            let task = try await Self.wait(client, workflow: "short", task: id)
            #expect(task["status"] as? String == "timeout")
            #expect((Self.job(task, "build-hang")["error"] as? String ?? "").contains("workflow timeout 2 s"))
            let pidFile = control.read("task-timeout-\(id).pid")
            try await Self.waitFor("the task's processes to be gone") { !Self.alive(pidFile) }
        }
    }

    @Test("cancelling a running task ends it as cancelled and ends its processes")
    func cancelRunning() async throws {
        let control = try Control()
        try await Self.run(control) { client in
            let id = try await Self.create(client, target: "hang")
            // The job writes its two pids with one `echo`: wait until both are there, not only the file.
            try await Self.waitFor("the job to start its child") { Self.alive(control.read("hang-\(id).pid")) }
            let pidFile = control.read("hang-\(id).pid")
            #expect(Self.alive(pidFile))
            let cancel = try await client.call(.post, "/api/directory/workflowTask/id/\(id)/pipelines/runs/cancel")
            #expect(cancel.status == .ok, "\(cancel.text)")
            let task = try await Self.wait(client, task: id)
            #expect(task["status"] as? String == "cancelled")
            #expect(Self.job(task, "build-hang")["status"] as? String == "cancelled")
            try await Self.waitFor("the cancelled job's processes to be gone") { !Self.alive(pidFile) }
        }
    }

    @Test("branch names full of shell syntax reach the command as inert data")
    func hostileBranchIsInert() async throws {
        let control = try Control()
        let head = try TestRemotes.shared.get().votingApp.revParse("main")
        let marker = control.url.appendingPathComponent("pwned").path
        let branch = "x;touch${IFS}\(marker)|`touch${IFS}\(marker)`$(touch${IFS}\(marker))&&'\""
        try await Self.run(control) { client in
            let id = try await Self.create(client, target: "echo", branch: branch, commit: head)
            let task = try await Self.wait(client, task: id)
            #expect(task["status"] as? String == "passed", "\(task)")
            #expect(try await Self.log(client, task: id, job: "build-echo").contains("branch=\(branch)\n"))
            #expect(!control.exists("pwned"))
        }
    }

    @Test("50 tasks at once never exceed the executor's limit of 4 nor the workflow's limit of 2, and all pass")
    func concurrencyLimits() async throws {
        let control = try Control()
        try await Self.run(control) { client in
            var created: [(String, Int)] = []
            for index in 0..<50 {
                let workflow = index % 2 == 0 ? "runs" : "limited"
                created.append((workflow, try await Self.create(client, workflow: workflow, target: "count")))
            }
            for (workflow, id) in created {
                let task = try await Self.wait(client, workflow: workflow, task: id, seconds: 60)
                #expect(task["status"] as? String == "passed", "\(workflow) \(id): \(task)")
            }
            var running: [String: Int] = [:]
            var most: [String: Int] = [:]
            var mostInAll = 0
            for line in (control.read("events") ?? "").split(separator: "\n") {
                let parts = line.split(separator: " ").map(String.init)
                running[parts[1], default: 0] += parts[0] == "start" ? 1 : -1
                most[parts[1]] = max(most[parts[1]] ?? 0, running[parts[1]]!)
                mostInAll = max(mostInAll, running.values.reduce(0, +))
            }
            #expect((control.read("events") ?? "").split(separator: "\n").count == 100)
            #expect(mostInAll <= 4)
            #expect(mostInAll >= 2)
            #expect((most["limited"] ?? 0) <= 2)
        }
    }

    @Test("a release of an image with no targets runs a deploy-only task with that image")
    func releaseImage() async throws {
        let control = try Control()
        try await Self.run(control) { client in
            let body = #"{"workflow_name":"runs","env_name":"dev","release_images":[{"image":"registry.test/vote:1.2.3","service_name":"vote"}]}"#
            let created = try await client.call(.post, "/api/directory/workflowTask/create", json: body)
            #expect(created.status == .ok, "\(created.text)")
            let id = try #require(try created.object()["task_id"] as? Int)
            let task = try await Self.wait(client, task: id)
            #expect(task["status"] as? String == "passed", "\(task)")
            #expect(Self.jobs(task).map { $0["name"] as? String } == ["deploy-vote"])
            #expect(try await Self.log(client, task: id, job: "deploy-vote").contains("deploying registry.test/vote:1.2.3 as vote"))
        }
    }

    @Test("following a running job's log answers what it writes until the job ends")
    func followLog() async throws {
        let control = try Control()
        try await Self.run(control) { client in
            let id = try await Self.create(client, target: "chatty")
            try await Self.wait(client, task: id, for: ["running"])
            async let followed = client.call(.get, "/api/directory/workflowTask/id/\(id)/pipelines/runs/logs?job=build-chatty&follow=true")
            try control.write("go", "")
            let text = try await followed.text
            #expect(text.contains("one\n") && text.contains("two\n"), "\(text)")
            let bad = try await client.call(.get, "/api/directory/workflowTask/id/\(id)/pipelines/runs/logs?job=nope")
            #expect(bad.status == .badRequest)
            #expect(bad.headers[HTTPField.Name("X-Trestle-Reason")!]?.contains("build-chatty") == true)
        }
    }

    @Test("a task a killed executor left running is failed on start with the reason, and nothing stays running")
    func crashRecovery() async throws {
        let control = try Control()
        try await TestServer.run(configFile: "executor.yaml", environment: control.environment, prepare: { dataDir in
            let store = try SQLiteTaskStore(path: dataDir.appendingPathComponent("trestle.sqlite").path)
            let arguments = TaskArguments(targets: [TargetArguments(name: "hang", serviceType: .k8s, build: BuildArguments(
                repos: [RepoArguments(repoName: "voting-app", branch: "main")]))], releaseImages: [])
            _ = try await store.createTask(NewTask(workflow: "runs", project: "voting", env: "dev",
                                                   trigger: TaskTrigger(kind: .api, by: "test"), arguments: arguments,
                                                   stages: TaskPlanner.stages(for: arguments), createTime: 1))
            let claimed = try await store.claimTasks(RunLimits(total: 1), runner: "gone:1", at: 2)
            #expect(claimed.count == 1)
            try await store.close()
        }) { client in
            let task = try await Self.wait(client, task: 1, for: ["failed"], seconds: 10)
            #expect(task["status"] as? String == "failed")
            #expect((Self.job(task, "build-hang")["error"] as? String ?? "").contains("executor restarted"))
        }
    }

    @Test("a workflow's own stages run after build and after deploy; a job waits for the jobs it needs; an allowed failure does not fail the stage")
    func ownStages() async throws {
        let control = try Control()
        try await Self.run(control) { client in
            let id = try await Self.create(client, workflow: "own-stages", target: "vote")
            let task = try await Self.wait(client, workflow: "own-stages", task: id)
            #expect(task["status"] as? String == "passed", "\(task)")
            #expect((task["stages"] as? [[String: Any]])?.map { $0["name"] as? String } == ["build", "test", "deploy", "smoke"])
            #expect((task["stages"] as? [[String: Any]])?.allSatisfy { $0["status"] as? String == "passed" } == true)
            #expect(Self.job(task, "lint")["status"] as? String == "failed")
            #expect(control.read("order") == "build\nunit voting-app\npackage\ndeploy\nsmoke\n")
            #expect(try await Self.log(client, workflow: "own-stages", task: id, job: "lint").contains("lint found problems"))
        }
    }

    @Test("a running task cancelled through the store by another process has its processes ended too")
    func cancelledElsewhere() async throws {
        let control = try Control()
        try await TestServer.run(configFile: "executor.yaml", environment: control.environment) { client, dataDir in
            let id = try await Self.create(client, target: "hang")
            // The job writes its two pids with one `echo`: wait until both are there, not only the file.
            try await Self.waitFor("the job to start its child") { Self.alive(control.read("hang-\(id).pid")) }
            let pidFile = control.read("hang-\(id).pid")
            let other = try SQLiteTaskStore(path: dataDir.appendingPathComponent("trestle.sqlite").path)
            _ = try await other.cancelTask(workflow: "runs", taskID: Int64(id), by: TaskTrigger(kind: .cli, by: "elsewhere"), at: 5)
            try await other.close()
            try await Self.waitFor("the processes of the task cancelled elsewhere to be gone") { !Self.alive(pidFile) }
            let task = try await Self.detail(client, task: id)
            #expect(task["status"] as? String == "cancelled")
        }
    }

    @Test("following the log of a job that never ran ends once its task has ended")
    func followNeverRun() async throws {
        let control = try Control()
        try control.write("script.sh", "exit 1\n")
        try await Self.run(control) { client in
            let id = try await Self.create(client, target: "scripted")
            #expect(try await Self.wait(client, task: id)["status"] as? String == "failed")
            let followed = try await client.call(.get, "/api/directory/workflowTask/id/\(id)/pipelines/runs/logs?job=deploy-scripted&follow=true")
            #expect(followed.status == .ok)
            #expect(followed.text.isEmpty)
        }
    }
}
