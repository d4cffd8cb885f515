import Testing
import TrestleCore

@Suite("Config loading and validation")
struct ConfigLoaderTests {
    static let environment = ["API_TOKEN": "s3cret-token", "HOOK_TOKEN": "hook-secret",
                              "TRESTLE_TOKEN": "t", "TRESTLE_WEBHOOK_TOKEN": "w"]

    @Test("the sample config in samples/ is valid and declares the documented keys")
    func sampleIsValid() throws {
        let yaml = try FixtureFile.repositoryText("samples/trestle.yaml")
        let config = try ConfigLoader.parse(yaml: yaml, file: "samples/trestle.yaml", environment: Self.environment)
        #expect(config.server.listen == ListenAddress(host: "127.0.0.1", port: 8080))
        #expect(config.storage.sqlitePath == ".trestle/trestle.sqlite")
        #expect(config.auth.tokens.map(\.name) == ["scripts"])
        #expect(config.auth.tokens.first?.scopes == [.read, .trigger])
        #expect(config.repos.first?.gitlabProject == "demo/voting-app")
        let workflow = try #require(config.workflow(named: "voting-workflow-dev"))
        #expect(workflow.project == "voting")
        #expect(workflow.target(named: "vote")?.timeout == 600)
        #expect(workflow.triggers.first?.events == [.push, .mergeRequest])
    }

    @Test("every key of a full config is read, with env references expanded")
    func fullConfig() throws {
        let config = try ConfigLoader.parse(yaml: FixtureFile.text("full.yaml"), file: "full.yaml", environment: Self.environment)
        #expect(config.server.listen == ListenAddress(host: "::1", port: 9090))
        #expect(config.server.externalURL == "https://ci.example.com")
        #expect(config.server.maxBodyBytes == 65536)
        #expect(config.storage.synchronous == .full)
        #expect(config.dataDir == "/var/lib/trestle")
        #expect(config.auth.tokens[0].secret == .plain(Secret("s3cret-token")))
        #expect(config.auth.tokens[1].secret == .sha256Hex("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"))
        #expect(config.auth.tokens[1].allows(.trigger))
        #expect(config.repos[0].webhookToken == Secret("hook-secret"))
        let workflow = try #require(config.workflows.first)
        #expect(workflow.envs == ["dev", "staging"])
        #expect(workflow.timeout == 1800)
        #expect(workflow.targets[0].serviceType == .helm)
        #expect(workflow.targets[1].serviceType == .k8s)
        #expect(workflow.targets[1].timeout == ConfigLoader.defaultTimeoutSeconds)
        #expect(workflow.triggers[1].targets == ["vote", "result"])
        #expect(config.executor.concurrency == 8 && config.executor.killGrace == 5 && config.executor.maxLogBytes == 2048)
        #expect(workflow.concurrency == 2)
        #expect(workflow.stages == [
            StageConfig(name: "test", after: .build, jobs: [
                ShellJobConfig(name: "unit", run: "swift test", timeout: 900),
                ShellJobConfig(name: "lint", run: "make lint", needs: ["unit"], allowFailure: true),
            ]),
            StageConfig(name: "smoke", after: .deploy, jobs: [ShellJobConfig(name: "smoke", run: "./smoke.sh")]),
        ])
        let arguments = TaskArguments(targets: [TargetArguments(name: "vote", serviceType: .helm, build: BuildArguments(repos: []))],
                                      releaseImages: [])
        #expect(TaskPlanner.stages(for: arguments, adding: workflow.stages).map(\.name) == ["build", "test", "deploy", "smoke"])
        let release = TaskArguments(targets: [], releaseImages: [ReleaseImage(image: "i", serviceName: "vote")])
        #expect(TaskPlanner.stages(for: release, adding: workflow.stages).map(\.name) == ["deploy", "smoke"],
                "a release builds nothing, so the stages after build do not run")
    }

    @Test("the dashboard's settings: a session secret from the environment, at least 16 bytes; public reads off unless ui says so")
    func dashboardSettings() throws {
        let base = "auth: { tokens: [{ name: a, token: \"${API_TOKEN}\", scopes: [read] }] }\n"
        let plain = try ConfigLoader.parse(yaml: "server: { listen: \"127.0.0.1:0\" }\n" + base, file: "t.yaml", environment: Self.environment)
        #expect(plain.server.sessionSecret == nil && plain.ui.publicRead == false)
        let set = try ConfigLoader.parse(yaml: "server: { listen: \"127.0.0.1:0\", session_secret: \"${SESSION}\" }\nui: { public_read: true }\n" + base,
                                         file: "t.yaml", environment: Self.environment.merging(["SESSION": "0123456789abcdef01"]) { $1 })
        #expect(set.server.sessionSecret?.value == "0123456789abcdef01" && set.ui.publicRead)
        #expect(throws: ConfigError.self) {
            try ConfigLoader.parse(yaml: "server: { listen: \"127.0.0.1:0\", session_secret: \"written-in-the-file\" }\n" + base,
                                   file: "t.yaml", environment: Self.environment)
        }
        #expect {
            try ConfigLoader.parse(yaml: "server: { listen: \"127.0.0.1:0\", session_secret: \"${SESSION}\" }\n" + base,
                                   file: "t.yaml", environment: Self.environment.merging(["SESSION": "short"]) { $1 })
        } throws: { error in "\(error)".contains("shorter than 16 bytes") }
    }

    @Test("stages with taken names, unknown or circular needs and missing commands are refused, each named")
    func badStages() throws {
        let error = try #require(throws: ConfigError.self) {
            try ConfigLoader.parse(yaml: FixtureFile.text("bad-stages.yaml"), file: "bad-stages.yaml", environment: [:])
        }
        let text = error.description
        #expect(text.contains("executor.concurrency"))
        #expect(text.contains("stage name 'build' is taken"))
        #expect(text.contains("job name 'build-vote' is used twice"))
        #expect(text.contains("form a cycle: x -> y -> x"))
        #expect(text.contains("job 'z' needs 'ghost'"))
        #expect(text.contains("workflows[0].stages[1].jobs[4]: missing key 'run'"))
    }

    @Test("every problem in a file is reported at once with file, line, key path and a fix")
    func problemsNameFileLinePathAndFix() throws {
        let error = try #require(throws: ConfigError.self) {
            try ConfigLoader.parse(yaml: FixtureFile.text("many-problems.yaml"), file: "bad.yaml", environment: [:])
        }
        let problems = error.problems
        func problem(_ path: String) -> ConfigProblem? { problems.first { $0.path == path } }

        #expect(problem("server.listen")?.message.contains("HOST:PORT") == true)
        #expect(problem("server.external_url")?.message.contains("http(s) URL") == true)
        #expect(problem("server.max_body_bytes")?.message.contains("from 1024") == true)
        #expect(problem("storage.synchronous")?.message.contains("normal, full") == true)
        #expect(problem("auth.tokens[0].token")?.message.contains("${TRESTLE_TOKEN}") == true)
        #expect(problem("auth.tokens[0].scopes[1]")?.message.contains("read, trigger, admin") == true)
        #expect(problem("auth.tokens[1].token")?.message.contains("MISSING_TOKEN_VAR is not set") == true)
        #expect(problem("repos[0].name")?.message.contains("not a valid name") == true)
        #expect(problem("repos[1].gitlab_projekt")?.message.contains("unknown key") == true)
        #expect(problem("workflows[0].targets[0].service_type")?.message.contains("k8s, helm") == true)
        #expect(problem("workflows[0].targets[0].repos[1]")?.message.contains("'nope' is not declared") == true)
        #expect(problem("workflows[0].triggers[0].events[1]")?.message.contains("push, tag_push") == true)
        #expect(problem("workflows[0].triggers[0].repo")?.message.contains("'ghost'") == true)
        #expect(problem("workflows[0].triggers[0].targets")?.message.contains("'missing'") == true)
        #expect(problems.allSatisfy { $0.file == "bad.yaml" && $0.line != nil })
        #expect(problem("server.listen")?.line == 1)
        #expect(problem("workflows[0].targets[0].service_type")?.line == 14)
        #expect(error.description.contains("bad.yaml:14: workflows[0].targets[0].service_type"))
    }

    @Test("a config error never contains the secret it rejected")
    func errorsDoNotLeakSecrets() throws {
        let error = try #require(throws: ConfigError.self) {
            try ConfigLoader.parse(yaml: FixtureFile.text("many-problems.yaml"), file: "bad.yaml", environment: [:])
        }
        #expect(!error.description.contains("plain-text-secret"))
        #expect("\(Secret("abc"))" == "<redacted>")
    }

    @Test("two tokens with one secret, and an empty secret from the environment, are refused")
    func duplicateAndEmptySecrets() throws {
        let yaml = """
            server: { listen: "127.0.0.1:8080" }
            auth:
              tokens:
                - { name: a, token: "${ONE}", scopes: [read] }
                - { name: b, token: "${SAME}", scopes: [admin] }
            repos:
              - { name: r, url: "https://x/r.git", webhook_token: "${EMPTY}" }
            """
        let error = try #require(throws: ConfigError.self) {
            try ConfigLoader.parse(yaml: yaml, file: "f.yaml", environment: ["ONE": "same-secret", "SAME": "same-secret", "EMPTY": ""])
        }
        #expect(error.problems.contains { $0.path == "auth.tokens[1]" && $0.message.contains("same secret") })
        #expect(error.problems.contains { $0.path == "repos[0].webhook_token" && $0.message.contains("empty") })
        #expect(!error.description.contains("same-secret"))
    }

    @Test("text that is not YAML is reported as such")
    func notYAML() throws {
        let error = try #require(throws: ConfigError.self) {
            try ConfigLoader.parse(yaml: FixtureFile.text("not-yaml.yaml"), file: "broken.yaml", environment: [:])
        }
        #expect(error.problems.count == 1)
        #expect(error.problems[0].message.hasPrefix("not valid YAML"))
    }

    @Test("a missing server section and an empty file are explained")
    func missingSections() throws {
        let missing = try #require(throws: ConfigError.self) {
            try ConfigLoader.parse(yaml: "auth: { tokens: [] }\n", file: "f.yaml", environment: [:])
        }
        #expect(missing.problems.contains { $0.message.contains("missing key 'server'") })
        let empty = try #require(throws: ConfigError.self) {
            try ConfigLoader.parse(yaml: "", file: "f.yaml", environment: [:])
        }
        #expect(empty.problems.first?.message.contains("empty") == true)
    }

    @Test("command-line overrides move the listen address, the links and a relative database")
    func overrides() throws {
        let yaml = "server: { listen: \"127.0.0.1:8080\" }\nauth: { tokens: [] }\nstorage: { sqlite: \".trestle/t.sqlite\" }\n"
        let config = try ConfigLoader.parse(yaml: yaml, file: "f.yaml", environment: [:])
        #expect(config.server.externalURL == "http://127.0.0.1:8080")
        let moved = config.overriding(listen: ListenAddress(host: "127.0.0.1", port: 9000), dataDir: "/tmp/x")
        #expect(moved.server.externalURL == "http://127.0.0.1:9000")
        #expect(moved.storage.sqlitePath == "/tmp/x/t.sqlite")
        #expect(moved.dataDir == "/tmp/x")
    }
}

@Suite("Environment interpolation")
struct EnvironmentInterpolationTests {
    @Test("references, defaults and escaped dollars expand")
    func expands() throws {
        let env = ["A": "1", "EMPTY": ""]
        #expect(try EnvironmentInterpolation.expand("x${A}y", environment: env) == "x1y")
        #expect(try EnvironmentInterpolation.expand("${B:-fallback}", environment: env) == "fallback")
        #expect(try EnvironmentInterpolation.expand("${EMPTY:-d}", environment: env) == "d")
        #expect(try EnvironmentInterpolation.expand("cost $$5 $HOME", environment: env) == "cost $5 $HOME")
    }

    @Test("an unset variable and a malformed reference are errors")
    func failures() {
        #expect(throws: EnvironmentInterpolation.Failure.unset("NOPE")) {
            try EnvironmentInterpolation.expand("${NOPE}", environment: [:])
        }
        #expect(throws: EnvironmentInterpolation.Failure.malformed("${A")) {
            try EnvironmentInterpolation.expand("${A", environment: [:])
        }
        #expect(throws: EnvironmentInterpolation.Failure.malformed("${1X}")) {
            try EnvironmentInterpolation.expand("${1X}", environment: [:])
        }
    }
}
