import Foundation
import Hummingbird
import TrestleStore

/// `GET /readyz`, for load balancers and supervisors: 200 when the store answers (its migrations
/// were applied when it opened) and each long-lived part of this process is alive (the webhook
/// inbox's writers, the processor, the executor); else 503 naming the failing part. No auth, as
/// `/healthz`; it says nothing a caller could not learn by trying.
struct ReadinessRoute: Sendable {
    static let path = "/readyz"
    static let storeTimeout: Duration = .seconds(2)

    struct Part: Sendable {
        var name: String
        var alive: @Sendable () -> Bool
    }

    let store: any TaskStore
    let parts: [Part]

    func register(on router: Router<TrestleRequestContext>) {
        router.get("readyz") { _, _ in await self.answer() }
    }

    func answer() async -> Response {
        var checks: [(String, String)] = [("store", await storeCheck()), ("migrations", "ok")]
        if checks[0].1 != "ok" { checks[1].1 = "unknown: the store does not answer" }
        for part in parts {
            checks.append((part.name, part.alive() ? "ok" : "not running"))
        }
        let failing = checks.filter { $0.1 != "ok" }
        var body: [String: Any] = ["status": failing.isEmpty ? "ready" : "not ready",
                                   "checks": Dictionary(checks, uniquingKeysWith: { first, _ in first })]
        if let first = failing.first { body["failing"] = "\(first.0): \(first.1)" }
        let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data()
        return Response(status: failing.isEmpty ? .ok : .serviceUnavailable,
                        headers: [.contentType: "application/json", .cacheControl: "no-store"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// "ok", or what went wrong (a timeout, the store's error).
    private func storeCheck() async -> String {
        let store = store
        return await withTaskGroup(of: String?.self) { group in
            group.addTask {
                do {
                    _ = try await store.taskList(TaskListQuery(limit: 1))
                    return "ok"
                } catch {
                    return "\(error)".prefix(300).description
                }
            }
            group.addTask {
                try? await Task.sleep(for: Self.storeTimeout)
                return Task.isCancelled ? nil : "no answer within \(Self.storeTimeout)"
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? "no answer"
        }
    }
}
