import Foundation
import Hummingbird
import Logging
import Synchronization

/// A small HTTP server standing in for GitLab's API: it records each commit status posted to
/// `/api/v4/projects/:id/statuses/:sha` and answers 201, or 503 for the first `failing` posts.
final class GitLabStandIn: Sendable {
    struct Received: Sendable, Equatable {
        var project: String
        var sha: String
        var state: String
        var ref: String
        var name: String
        var targetURL: String
        var token: String
    }

    let received = Mutex<[Received]>([])
    /// Merge request notes: each post or edit as "POST <iid> <body>" or "PUT <iid>/<note id> <body>".
    let notes = Mutex<[String]>([])
    /// Project paths looked up through `GET /api/v4/projects/:path`.
    let lookups = Mutex<[String]>([])
    private let failing: Mutex<Int>
    /// Where status posts are redirected (302) instead of being taken, if set.
    private let redirectTo: String?

    init(failing: Int = 0, redirectTo: String? = nil) {
        self.failing = Mutex(failing)
        self.redirectTo = redirectTo
    }

    /// Projects as GitLab knows them: path to numeric id.
    static let projects = ["demo/voting-app": 15]

    var states: [String] { received.withLock { $0.map(\.state) } }

    /// Runs `body` with the stand-in's base URL, then stops it.
    func run(_ body: (String) async throws -> Void) async throws {
        let router = Router()
        router.get("api/v4/projects/:project") { request, context -> Response in
            let path = (context.parameters.get("project") ?? "").removingPercentEncoding ?? ""
            self.lookups.withLock { $0.append(path) }
            guard let id = Self.projects[path] else { return Response(status: .notFound) }
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"id":\#(id),"path_with_namespace":"\#(path)"}"#)))
        }
        router.post("api/v4/projects/:project/statuses/:sha") { request, context -> Response in
            if let redirectTo = self.redirectTo {
                return Response(status: .found, headers: [.location: redirectTo + request.uri.path])
            }
            let data = try await request.body.collect(upTo: 1 << 20)
            let object = (try? JSONSerialization.jsonObject(with: Data(buffer: data))) as? [String: String] ?? [:]
            let failNow = self.failing.withLock { remaining -> Bool in
                guard remaining > 0 else { return false }
                remaining -= 1
                return true
            }
            if failNow { return Response(status: .serviceUnavailable) }
            self.received.withLock {
                $0.append(Received(project: context.parameters.get("project") ?? "", sha: context.parameters.get("sha") ?? "",
                                   state: object["state"] ?? "", ref: object["ref"] ?? "", name: object["name"] ?? "",
                                   targetURL: object["target_url"] ?? "", token: request.headers[.init("PRIVATE-TOKEN")!] ?? ""))
            }
            return Response(status: .created)
        }
        router.post("api/v4/projects/:project/merge_requests/:iid/notes") { request, context -> Response in
            let data = try await request.body.collect(upTo: 1 << 20)
            let object = (try? JSONSerialization.jsonObject(with: Data(buffer: data))) as? [String: String] ?? [:]
            self.notes.withLock { $0.append("POST \(context.parameters.get("iid") ?? "") \(object["body"] ?? "")") }
            return Response(status: .created, headers: [.contentType: "application/json"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"id":77}"#)))
        }
        router.put("api/v4/projects/:project/merge_requests/:iid/notes/:note") { request, context -> Response in
            let data = try await request.body.collect(upTo: 1 << 20)
            let object = (try? JSONSerialization.jsonObject(with: Data(buffer: data))) as? [String: String] ?? [:]
            let iid = context.parameters.get("iid") ?? ""
            self.notes.withLock { $0.append("PUT \(iid)/\(context.parameters.get("note") ?? "") \(object["body"] ?? "")") }
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"id":77}"#)))
        }
        try await LoopbackStandIn.serve(router, label: "gitlab-stand-in", body)
    }
}
