import Foundation
import Hummingbird
import TrestleCore
import TrestleStore

/// The deliveries pages, for admin tokens: recent webhook deliveries with their outcome, and a
/// delivery's page with each trigger rule's decision (as `trestle explain` says it), its kept
/// headers and its payload, pretty-printed.
extension DashboardRoutes {
    static let deliveriesShown = 100

    func registerDeliveries(on router: Router<TrestleRequestContext>) {
        router.get("ui/deliveries", use: deliveries)
        router.get("ui/deliveries/:id", use: delivery)
    }

    @Sendable func deliveries(_ request: Request, context: TrestleRequestContext) async throws -> Response {
        guard let viewer = auth.viewer(request) else { return signInFirst(request) }
        guard viewer.allows(.admin) else { return adminOnly(viewer) }
        let rows: [[String: Any]] = try await store.deliveries(limit: Self.deliveriesShown).map { summary in
            ["id": summary.id, "event": summary.eventHeader, "repo": summary.repo, "received": DashboardFormat.time(summary.receivedTime),
             "state": summary.outcome.state.rawValue, "reason": summary.outcome.reason]
        }
        return page("deliveries", ["title": "Deliveries", "rows": rows], viewer: viewer)
    }

    @Sendable func delivery(_ request: Request, context: TrestleRequestContext) async throws -> Response {
        guard let viewer = auth.viewer(request) else { return signInFirst(request) }
        guard viewer.allows(.admin) else { return adminOnly(viewer) }
        let text = context.parameters.get("id") ?? ""
        guard let id = Int64(text), id > 0, let stored = try await store.delivery(id: id) else {
            return message("No such delivery", "There is no webhook delivery '\(text.prefix(40))'.", viewer: viewer, status: .notFound)
        }
        let outcome = stored.outcome
        var tasks: [[String: Any]] = []
        for created in outcome.tasks {
            if let record = try await store.task(workflow: created.workflow, taskID: created.taskID) {
                tasks.append(["workflow": created.workflow, "taskID": created.taskID, "url": links.taskURL(record.summary)])
            }
        }
        let decisions: [[String: Any]] = outcome.decisions.map {
            ["workflow": $0.workflow, "rule": $0.trigger + 1, "verdict": $0.verdict.rawValue, "reason": $0.reason]
        }
        let headers = stored.delivery.headers.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "\n")
        return page("delivery", [
            "title": "Delivery #\(id)", "id": id, "event": stored.delivery.eventHeader, "repo": stored.delivery.repo,
            "received": DashboardFormat.time(stored.delivery.receivedTime), "processed": outcome.state == .pending ? "not yet" : "",
            "key": stored.delivery.dedupeKey, "state": outcome.state.rawValue, "reason": outcome.reason,
            "tasks": tasks, "hasTasks": !tasks.isEmpty, "decisions": decisions, "headers": headers, "payload": Self.pretty(stored.delivery.body),
        ], viewer: viewer)
    }

    /// The payload as indented JSON with sorted keys; a body that is not JSON as text.
    static func pretty(_ body: Data) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]),
              let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .fragmentsAllowed])
        else { return String(decoding: body.prefix(1 << 20), as: UTF8.self) }
        return String(decoding: data, as: UTF8.self)
    }

    private func adminOnly(_ viewer: DashboardViewer) -> Response {
        message("Admins only", "Webhook deliveries hold payloads; they are shown to tokens with the admin scope"
            + (viewer.token.map { ", which '\($0.name)' lacks" } ?? "") + ".", viewer: viewer, status: .forbidden)
    }
}
