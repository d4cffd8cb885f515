import Foundation
import Hummingbird
import TrestleCore
import TrestleGit
import TrestleStore

/// The workflows page (each workflow's triggers and targets as configured, and pictures of its
/// last 100 tasks) and the mirrors page (this node's mirrors: last fetch, how long, the result).
extension DashboardRoutes {
    static let chartedTasks = 100

    func registerConfigPages(on router: Router<TrestleRequestContext>) {
        router.get("ui/workflows", use: workflows)
        router.get("ui/mirrors", use: mirrorsPage)
    }

    @Sendable func workflows(_ request: Request, context: TrestleRequestContext) async throws -> Response {
        guard let viewer = auth.viewer(request) else { return signInFirst(request) }
        var sections: [[String: Any]] = []
        for workflow in config.workflows {
            let recent = try await store.taskList(TaskListQuery(workflow: workflow.name, limit: Self.chartedTasks))
                .map(\.summary).reversed()
            let triggers: [[String: Any]] = workflow.triggers.enumerated().map { index, trigger in
                let refs = trigger.branches.map(\.text) + trigger.tags.map { "tag " + $0.text }
                    + trigger.targetBranches.map { "→ " + $0.text }
                return ["number": index + 1, "events": trigger.events.map(\.rawValue).joined(separator: ", "), "repo": trigger.repo,
                        "refs": refs.isEmpty ? "any" : refs.joined(separator: ", "),
                        "paths": trigger.paths.isEmpty ? "any" : trigger.paths.map(\.text).joined(separator: ", "),
                        "targets": trigger.targets.joined(separator: ", "), "autoCancel": trigger.autoCancel ? "yes" : "no"]
            }
            let targets: [[String: Any]] = workflow.targets.map { target in
                ["name": target.name, "repos": target.repos.joined(separator: ", "), "build": target.build ?? "",
                 "deploy": target.deploy ?? "", "timeout": target.timeout]
            }
            sections.append(["name": workflow.name, "project": workflow.project,
                             "env": ([workflow.env].compactMap { $0 } + workflow.envs).joined(separator: ", "),
                             "triggers": triggers, "targets": targets,
                             "durations": WorkflowCharts.durations(Array(recent)), "passRate": WorkflowCharts.passRate(Array(recent))])
        }
        return page("workflows", ["title": "Workflows", "workflows": sections], viewer: viewer)
    }

    @Sendable func mirrorsPage(_ request: Request, context: TrestleRequestContext) async throws -> Response {
        guard let viewer = auth.viewer(request) else { return signInFirst(request) }
        let rows: [[String: Any]] = mirrors.all.map { mirror in
            let state = mirror.readState()
            return ["name": mirror.name, "when": state.lastFetchTime.map(DashboardFormat.time) ?? "never fetched",
                    "took": state.lastFetchMillis.map { "\($0) ms" } ?? "",
                    "result": state.lastResult ?? "", "failed": state.lastResult.map { $0 != "ok" } ?? false, "refs": state.refCount]
        }
        return page("mirrors", ["title": "Mirrors", "mirrors": rows], viewer: viewer)
    }
}
