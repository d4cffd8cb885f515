import Foundation
import HummingbirdTesting
import Hummingbird
import Logging
import Testing
import TrestleCore
import TrestleServer
import TrestleTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Hostile job scripts run by the real executor in its bubblewrap sandbox (sandbox.yaml): each
/// attack fails, and the server goes on serving.
@Suite("Job sandbox: build code never reaches the server, its secrets or other tasks")
struct JobSandboxTests {
    static let registryToken = "registry-secret-0123456789"
    /// An entry of this process's environment as the kernel shows it in /proc (the server's, for
    /// the server runs in this process) that jobs do not inherit: what an attacker would be after.
    static let marker: String = {
        let entries = (FileManager.default.contents(atPath: "/proc/self/environ") ?? Data()).split(separator: 0)
            .map { String(decoding: $0, as: UTF8.self) }
        let foreign = entries.filter { entry in
            let name = String(entry.prefix { $0 != "=" })
            return !JobEnvironment.inherited.contains(name) && entry.count > name.count + 4
        }
        return foreign.max { $0.count < $1.count } ?? "no-environment-entry"
    }()

    /// Runs `attack` as the build of `target` in a task (a merge request's when `pr` is set) and
    /// answers the task, its build job and the job's log, after checking the server still serves.
    static func attack(_ script: String, target: String = "attack", pr: Int = 0, commit: String? = nil, isolation: String = "bwrap",
                       environment: [String: String] = [:], prepare: @escaping (URL) async throws -> Void = { _ in },
                       check: @Sendable @escaping (_ job: [String: Any], _ log: String, _ dataDir: URL) async throws -> Void) async throws {
        let env = environment.merging(["ATTACK": script, "ISOLATION": isolation, "REGISTRY_TOKEN": registryToken]) { $1 }
        try await TestServer.run(configFile: "sandbox.yaml", environment: env, prepare: prepare) { client, dataDir in
            let branch = pr == 0 ? "main" : "feature"
            let body = #"{"workflow_name":"hostile","env_name":"dev","targets":[{"name":"\#(target)","build":{"repos":["#
                + #"{"repo_name":"voting-app","branch":"\#(branch)","pr":\#(pr)\#(commit.map { #","commit_id":"\#($0)""# } ?? "")}]}}]}"#
            let created = try await client.call(.post, "/api/directory/workflowTask/create", json: body)
            #expect(created.status == .ok, "\(created.text)")
            let id = try #require(try created.object()["task_id"] as? Int)
            let task = try await ExecutorTests.wait(client, workflow: "hostile", task: id)
            let log = try await ExecutorTests.log(client, workflow: "hostile", task: id, job: "build-\(target)")
            let job = ExecutorTests.job(task, "build-\(target)")
            try await check(job, log, dataDir)
            let health = try await client.call(.get, "/healthz", token: nil)
            #expect(health.status == .ok, "the server stopped serving after the attack")
            #expect(!log.contains(marker), "the job read the server's environment")
        }
    }

    @Test("a job cannot read the server's environment through /proc, and without the sandbox the same script can")
    func serverEnvironIsOutOfReach() async throws {
        let script = #"cat /proc/[0-9]*/environ | tr '\0' '\n'; cat /proc/\#(getpid())/environ"#
        try await Self.attack(script) { _, log, _ in
            #expect(log.contains("/proc/\(getpid())/environ: No such file"), "\(log)")
        }
        // The control: unsandboxed, the attack works, so the sandboxed run above proves something.
        try await TestServer.run(configFile: "sandbox.yaml", environment: [
            "ATTACK": script, "ISOLATION": "none", "REGISTRY_TOKEN": Self.registryToken,
        ]) { client, _ in
            let created = try await client.call(.post, "/api/directory/workflowTask/create", json:
                #"{"workflow_name":"hostile","env_name":"dev","targets":[{"name":"attack","build":{"repos":[{"repo_name":"voting-app","branch":"main","pr":0}]}}]}"#)
            let id = try #require(try created.object()["task_id"] as? Int)
            _ = try await ExecutorTests.wait(client, workflow: "hostile", task: id)
            let log = try await ExecutorTests.log(client, workflow: "hostile", task: id, job: "build-attack")
            #expect(log.contains(Self.marker), "the control attack should read the server's environment unsandboxed")
        }
    }

    @Test("a job sees nothing of the data dir: not the store, the token files, other workspaces or the mirrors' other files")
    func dataDirIsOutOfReach() async throws {
        let script = #"""
            D="${WORKSPACE%/workspaces/*}"
            echo "data dir $D"
            head -c 15 "$D/trestle.sqlite"; cat "$D/tokens/api-token"; ls "$D"; ls "$D/workspaces"; ls "$WORKSPACE/.."
            cat "$D/workspaces/other/1/1/build-x/secret.txt"; touch "$D/workspaces/other/1/1/build-x/planted" && echo planted
            ls "$D/mirrors"; cat "$D"/mirrors/*/config
            echo "own workspace is writable" > "$WORKSPACE/mine" && cat "$WORKSPACE/mine"
            """#
        try await Self.attack(script, prepare: { dataDir in
            let other = dataDir.appendingPathComponent("workspaces/other/1/1/build-x")
            try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
            try "other task's file".write(to: other.appendingPathComponent("secret.txt"), atomically: true, encoding: .utf8)
            let tokens = dataDir.appendingPathComponent("tokens")
            try FileManager.default.createDirectory(at: tokens, withIntermediateDirectories: true)
            try "api-token-file-contents".write(to: tokens.appendingPathComponent("api-token"), atomically: true, encoding: .utf8)
        }) { _, log, dataDir in
            #expect(log.contains("own workspace is writable"), "\(log)")
            #expect(!log.contains("SQLite format"), "\(log)")
            #expect(!log.contains("api-token-file-contents"), "\(log)")
            #expect(!log.contains("other task's file"), "\(log)")
            #expect(!log.contains("planted\n"), "\(log)")
            #expect(!log.contains("[remote"), "the job read a mirror's config: \(log)")
            #expect(!FileManager.default.fileExists(atPath: dataDir.appendingPathComponent("workspaces/other/1/1/build-x/planted").path))
        }
    }

    @Test("a job can read its repo's objects through alternates but cannot write an object into the mirror")
    func mirrorIsReadOnly() async throws {
        let script = #"""
            cd "$WORKSPACE/voting-app" && git -c safe.directory='*' log --oneline -1 && echo "history readable"
            echo planted-object | git -c safe.directory='*' hash-object -w --stdin --path x
            OBJECTS=$(cat .git/objects/info/alternates)
            echo hi > "$OBJECTS/planted" || echo "mirror write refused"
            mkdir -p "$OBJECTS/ab" 2>&1
            """#
        try await Self.attack(script) { _, log, dataDir in
            #expect(log.contains("history readable"), "\(log)")
            #expect(log.contains("mirror write refused"), "\(log)")
            let mirror = dataDir.appendingPathComponent("mirrors/voting-app.git/objects").path
            #expect(!FileManager.default.fileExists(atPath: mirror + "/planted"))
            let planted = try FixtureCommand.run(["sh", "-c", "echo planted-object | git hash-object --stdin"]).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(!FileManager.default.fileExists(atPath: mirror + "/" + planted.prefix(2) + "/" + planted.dropFirst(2)))
        }
    }

    @Test("a job cannot signal the server: its pid is not in the job's namespace, and kill -9 -1 ends only the job")
    func serverCannotBeKilled() async throws {
        try await Self.attack("kill -9 \(getpid()) || echo 'server pid out of reach'; kill -9 -1; sleep 1; echo 'job lives on'") { _, log, _ in
            #expect(log.contains("server pid out of reach"), "\(log)")
            #expect(log.contains("job lives on"), "\(log)")
        }
    }

    @Test("a job runs as the unprivileged user, with no capabilities and no new privileges")
    func jobIsUnprivileged() async throws {
        try await Self.attack(#"id -u; grep -E "^(CapEff|NoNewPrivs)" /proc/self/status; cat /etc/shadow || echo "shadow unreadable""#) { job, log, _ in
            #expect(job["status"] as? String == "passed", "\(job) \(log)")
            #expect(log.hasPrefix(getuid() == 0 ? "65534\n" : "\(getuid())\n"), "\(log)")
            #expect(log.contains("CapEff:\t0000000000000000"), "\(log)")
            #expect(log.contains("NoNewPrivs:\t1"), "\(log)")
            if getuid() == 0 { #expect(log.contains("shadow unreadable"), "\(log)") }
        }
    }

    @Test("a fork bomb ends its own job, failed and naming the pids limit, and leaves nothing running")
    func forkBombHitsThePidsLimit() async throws {
        try await Self.attack(#"i=0; while [ $i -lt 500 ]; do sleep 300 & i=$((i+1)); done; wait"#, target: "bomb") { job, log, _ in
            #expect(job["status"] as? String == "failed", "\(job)")
            let error = job["error"] as? String ?? ""
            #expect(error.contains("pids limit (64 processes)"), "\(error) \(log.suffix(300))")
            // The sandbox's PID namespace ends with the job: none of its sleeps is left. The kernel
            // kills them asynchronously once the namespace's init is gone (one straggler outlived
            // 5 s in a CI run), so the test waits up to 30 s, still far short of the sleeps' 300.
            let deadline = ContinuousClock.now + .seconds(30)
            while Self.processes(named: "sleep", argument: "300") > 0, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(Self.processes(named: "sleep", argument: "300") == 0)
        }
    }

    @Test("allocating past the memory limit ends the job, failed and naming the memory_mb limit")
    func memoryHogHitsTheMemoryLimit() async throws {
        try await Self.attack(#"python3 -c 'b = bytearray(512 * 1024 * 1024); print("allocated")'"#, target: "hog") { job, log, _ in
            #expect(job["status"] as? String == "failed", "\(job)")
            #expect(!log.contains("allocated"), "\(log)")
            #expect((job["error"] as? String ?? "").contains("memory_mb limit (64 MB)"), "\(job) \(log)")
        }
        // Memory-backed files count too: /tmp and /dev/shm are capped at the limit, /dev is read-only.
        let fill = #"head -c 100000000 /dev/zero > /tmp/fill || echo "tmp full"; head -c 100000000 /dev/zero > /dev/shm/fill || echo "shm full"; echo x > /dev/fill || echo "dev read-only""#
        try await Self.attack(fill, target: "hog") { _, log, _ in
            #expect(log.contains("tmp full") && log.contains("shm full") && log.contains("dev read-only"), "\(log)")
        }
    }

    @Test("with network: false a job cannot reach a server on 127.0.0.1; with the network on the same script can")
    func networkOffCutsLoopback() async throws {
        let router = Router()
        router.get("/ping") { _, _ in "pong" }
        try await LoopbackStandIn.serve(router, label: "loopback") { base in
            let script = #"curl -s --max-time 3 "\#(base)/ping" || echo "unreachable""#
            try await Self.attack(script, target: "offline") { _, log, _ in
                #expect(log.contains("unreachable"), "\(log)")
                #expect(!log.contains("pong"), "\(log)")
            }
            try await Self.attack(script) { _, log, _ in
                #expect(log.contains("pong"), "the control job should reach the loopback server: \(log)")
            }
        }
    }

    @Test("a push or API task's job gets the workflow's secret, masked in its log; a merge request task's gets neither it nor a deploy")
    func secretsReachOnlyTrustedTasks() async throws {
        let script = #"echo "token=${REGISTRY_TOKEN:-absent}"; printf '%s' "$REGISTRY_TOKEN" | od -An -c | tr -d ' \n'; echo"#
        try await Self.attack(script) { job, log, _ in
            #expect(job["status"] as? String == "passed", "\(job)")
            #expect(log.contains("token=[masked]"), "\(log)")
            #expect(!log.contains(Self.registryToken), "\(log)")
        }
        try await Self.attack(script, pr: 7) { job, log, _ in
            #expect(log.contains("token=absent"), "\(log)")
            #expect(!log.contains(Self.registryToken), "\(log)")
        }
        // An API task calling a merge request's commit `main` gets nothing: the commit is not on main.
        let requestHead = try TestRemotes.shared.get().votingApp.revParse("refs/merge-requests/7/head")
        try await Self.attack(script, commit: requestHead) { _, log, _ in
            #expect(log.contains("token=absent"), "\(log)")
        }
    }

    @Test("a merge request task's deploy does not run unless its target allows it")
    func mergeRequestDeploysDoNotRun() async throws {
        try await TestServer.run(configFile: "sandbox.yaml", environment: ["ATTACK": "true", "REGISTRY_TOKEN": Self.registryToken]) { client, _ in
            let created = try await client.call(.post, "/api/directory/workflowTask/create", json:
                #"{"workflow_name":"hostile","env_name":"dev","targets":[{"name":"attack","build":{"repos":[{"repo_name":"voting-app","branch":"feature","pr":7}]}}]}"#)
            let id = try #require(try created.object()["task_id"] as? Int)
            let task = try await ExecutorTests.wait(client, workflow: "hostile", task: id)
            #expect(task["status"] as? String == "passed", "\(task)")
            let deploy = ExecutorTests.job(task, "deploy-attack")
            #expect((deploy["error"] as? String ?? "").contains("deploys do not run for merge request code"), "\(deploy)")
            let log = try? await client.call(.get, "/api/directory/workflowTask/id/\(id)/pipelines/hostile/logs?job=deploy-attack").text
            #expect(!(log ?? "").contains("deploy ran"), "\(log ?? "")")
        }
    }

    @Test("a server that cannot start a sandbox refuses to start, saying why and what to do")
    func refusesToStartWithoutASandbox() async throws {
        // Fails rather than skips when not root: the refusal it checks is the job user's, which
        // only a root server has. `make test` runs as root.
        try #require(getuid() == 0, "run the tests as root (make test does): only then do jobs run as a job user")
        let dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("trestle-closed-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dataDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: dataDir) }
        let config = try TestServer.config(opsSHA256: TestServer.opsTokenSHA256, file: "sandbox.yaml",
                                           environment: ["ATTACK": "true", "REGISTRY_TOKEN": Self.registryToken])
        do {
            _ = try await buildApplication(config: config, options: ServeOptions(dataDir: dataDir.path), logger: Logger(label: "refusal"))
            Issue.record("the server started although no sandbox can enter its data dir")
        } catch {
            let message = "\(error)"
            #expect(message.contains("a sandbox cannot start"), "\(message)")
            #expect(message.contains("Permission denied"), "\(message)")
            #expect(message.contains("chmod o+x") && message.contains("isolation: none"), "\(message)")
        }
    }

    @Test("a target whose rootfs is missing keeps the server from starting, naming the target and the directory")
    func missingRootfsRefusesStart() async throws {
        var config = try TestServer.config(opsSHA256: TestServer.opsTokenSHA256, file: "sandbox.yaml",
                                           environment: ["ATTACK": "true", "REGISTRY_TOKEN": Self.registryToken])
        config.workflows[0].targets[0].rootfs = "/srv/images/missing-\(UUID().uuidString)"
        let dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("trestle-rootfs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dataDir) }
        do {
            _ = try await buildApplication(config: config, options: ServeOptions(dataDir: dataDir.path), logger: Logger(label: "refusal"))
            Issue.record("the server started with a missing rootfs")
        } catch {
            #expect("\(error)".contains("target 'attack': rootfs /srv/images/missing-"), "\(error)")
            #expect("\(error)".contains("debootstrap"), "\(error)")
        }
    }

    /// Processes on the host whose command line is `name argument`.
    static func processes(named name: String, argument: String) -> Int {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.filter { entry in
            guard Int(entry) != nil, let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return false }
            return data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) } == [name, argument]
        }.count
    }
}
