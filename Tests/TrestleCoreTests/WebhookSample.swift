import Foundation
import TrestleCore

/// The GitLab-format deliveries under samples/webhooks, for the routed facts tests.
enum WebhookSample {
    static func body(_ name: String) throws -> Data {
        Data(try FixtureFile.repositoryText("samples/webhooks/\(name).json").utf8)
    }

    static func facts(_ name: String, _ event: WebhookEvent, repo: String = "voting-app") throws -> WebhookFacts {
        try GitLabEvents.facts(event: event, repo: repo, body: body(name))
    }

    static func trigger(_ events: [WebhookEvent], repo: String = "voting-app",
                        _ configure: (inout TriggerConfig) throws -> Void = { _ in }) throws -> TriggerConfig {
        var trigger = TriggerConfig(events: events, repo: repo, targets: ["vote"])
        try configure(&trigger)
        return trigger
    }

    static func config(_ triggers: [TriggerConfig]) -> TrestleConfig {
        let workflow = WorkflowConfig(name: "wf", project: "voting", env: "dev", envs: [], timeout: 3600,
                                      targets: [TargetConfig(name: "vote", serviceType: .k8s, repos: ["voting-app"],
                                                             build: nil, deploy: nil, timeout: 600)],
                                      triggers: triggers)
        return TrestleConfig(server: ServerConfig(listen: ListenAddress(host: "127.0.0.1", port: 0), externalURL: nil, maxBodyBytes: 1 << 20),
                             storage: StorageConfig(sqlitePath: "t.sqlite", synchronous: .normal), dataDir: ".trestle", auth: AuthConfig(tokens: []),
                             repos: [RepoConfig(name: "voting-app", url: "file:///x", gitlabProject: "demo/voting-app",
                                                webhookToken: Secret("w"))],
                             workflows: [workflow])
    }

    static func decide(_ facts: WebhookFacts, _ trigger: TriggerConfig) -> TriggerDecision {
        TriggerMatcher.decide(facts, config: config([trigger]))[0]
    }
}
