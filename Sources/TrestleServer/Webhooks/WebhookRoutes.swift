import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import TrestleCore
import TrestleStore

/// The GitLab webhook receiver and the deliveries it has seen.
///
/// A delivery is authenticated, routed to its repo and committed to the store before the 2xx;
/// everything else (full decoding, rule matching, diffs, task creation) happens afterwards in the
/// `WebhookProcessor`. GitLab gives a receiver 10 seconds and disables hooks that keep failing,
/// so an event Trestle does not act on is answered 2xx with the reason, never an error.
struct WebhookRoutes: Sendable {
    static let gitlabPath = "/api/webhook/gitlab"
    static let listLimit = 100

    let config: TrestleConfig
    let inbox: DeliveryInbox
    let store: any TaskStore
    let projects: GitLabProjects
    let now: @Sendable () -> Int64
    /// SHA-256 of each repo's webhook secret, by repo name: compared in constant time.
    private let secretDigests: [String: [UInt8]]

    init(config: TrestleConfig, inbox: DeliveryInbox, store: any TaskStore, projects: GitLabProjects,
         now: @escaping @Sendable () -> Int64) {
        self.config = config
        self.projects = projects
        self.inbox = inbox
        self.store = store
        self.now = now
        var digests: [String: [UInt8]] = [:]
        for repo in config.repos {
            if let secret = repo.webhookToken { digests[repo.name] = Array(SHA256.hash(data: Array(secret.value.utf8))) }
        }
        secretDigests = digests
    }

    func register(on router: Router<TrestleRequestContext>) {
        router.post("api/webhook/gitlab", use: receive)
        router.post("api/webhook/gitlab/:repo", use: receiveForRepo)
        router.get("api/webhook/deliveries", use: list)
        router.get("api/webhook/deliveries/:id", use: explain)
    }

    /// The one answer for an unknown project or repo, a repo without a secret and a missing or wrong
    /// token, so that a caller without the secret learns nothing about which repos exist.
    static let unauthenticated = "unknown project, or missing or wrong X-Gitlab-Token; give GitLab the repo's webhook_token"
        + " as the hook's secret token"

    /// The recommended URL, `/api/webhook/gitlab/<repo>`: the token is checked against the repo the
    /// path names before a byte of the body is read, so an unauthenticated caller cannot make the
    /// server buffer a body.
    @Sendable func receiveForRepo(_ request: Request, context: TrestleRequestContext) async throws -> Response {
        let headers = WebhookRequestHeaders(request.headers)
        let name = context.parameters.get("repo") ?? ""
        guard let repo = config.repo(named: name) else {
            throw refused("no repo named '\(name.prefix(100))' is configured", context: context)
        }
        try authenticate(headers, repo: repo, context: context)
        let body = try await RequestBodyReader.collect(request, server: config.server)
        let routing = try Self.routing(body)
        let path = routing.project?.pathWithNamespace
        if let path, config.repo(gitlabPath: path, id: nil)?.name != repo.name {
            throw APIError.webhookRejected(.badRequest, "the payload's project '\(path.prefix(200))' is not repo '\(repo.name)''s"
                + " gitlab_project; this URL takes the hooks of '\(repo.gitlabProject ?? repo.name)' only")
        }
        return try await accept(body, routing: routing, headers: headers, repo: repo)
    }

    /// The shared URL: the repo is found from the payload's project, so the body is read first.
    @Sendable func receive(_ request: Request, context: TrestleRequestContext) async throws -> Response {
        let body = try await RequestBodyReader.collect(request, server: config.server)
        let headers = WebhookRequestHeaders(request.headers)
        let routing = try Self.routing(body)
        let path = routing.project?.pathWithNamespace
        let projectID = routing.project?.id
        guard path != nil || projectID != nil else {
            throw APIError.webhookRejected(.badRequest, "project.path_with_namespace is missing: send a GitLab webhook payload")
        }
        guard let repo = config.repo(gitlabPath: path, id: projectID) else {
            let named = path.map { "'\($0.prefix(200))'" } ?? "id \(projectID ?? 0)"
            throw refused("no configured repo has gitlab_project \(named)", context: context)
        }
        try authenticate(headers, repo: repo, context: context)
        return try await accept(body, routing: routing, headers: headers, repo: repo)
    }

    private static func routing(_ body: Data) throws -> GitLabRouting {
        do {
            return try GitLabRoutingScanner.scan(body)
        } catch {
            throw APIError.webhookRejected(.badRequest, "the body is not a JSON object (\(error.reason))")
        }
    }

    /// The token against the repo's secret, in constant time; every refusal answers the same.
    private func authenticate(_ headers: WebhookRequestHeaders, repo: RepoConfig, context: TrestleRequestContext) throws {
        guard let secret = secretDigests[repo.name] else {
            throw refused("repo '\(repo.name)' has no webhook_token configured", context: context)
        }
        guard let presented = headers.token,
              ConstantTime.equal(Array(SHA256.hash(data: Array(presented.utf8))), secret) else {
            throw refused("missing or wrong X-Gitlab-Token for repo '\(repo.name)'", context: context)
        }
    }

    /// The detail goes to the log for the admin; the caller gets `unauthenticated`.
    private func refused(_ detail: String, context: TrestleRequestContext) -> APIError {
        context.logger.info("webhook refused", metadata: ["reason": "\(detail)"])
        return APIError.webhookRejected(.unauthorized, Self.unauthenticated)
    }

    /// An authenticated delivery: its event and fields checked, then committed before the 2xx.
    private func accept(_ body: Data, routing: GitLabRouting, headers: WebhookRequestHeaders, repo: RepoConfig) async throws -> Response {
        let projectID = routing.project?.id
        if let known = projects.known(repo.name), let projectID, projectID != known {
            throw APIError.webhookRejected(.badRequest, "project.id \(projectID) is not repo '\(repo.name)''s GitLab project"
                + " (\(known)); the hook belongs to another project: fix its URL or the repo's gitlab_project")
        }
        let eventHeader = headers.event ?? ""
        guard let event = GitLabEvents.event(header: eventHeader.isEmpty ? nil : eventHeader, objectKind: routing.objectKind) else {
            let reason = "ignored: Trestle does not act on '\(eventHeader.isEmpty ? routing.objectKind ?? "unnamed" : eventHeader)' events"
            return JSONResponse.make(ReceiptView(status: "ignored", reason: reason))
        }
        let missing = routing.missingFields(for: event)
        guard missing.isEmpty else {
            throw APIError.webhookRejected(.badRequest, "the \(event.rawValue) payload lacks \(missing.joined(separator: ", "))")
        }
        let delivery = NewDelivery(dedupeKey: Self.dedupeKey(headers, body: body, repo: repo.name), eventHeader: eventHeader, repo: repo.name,
                                   receivedTime: now(), headers: headers.kept, body: body)
        let receipt: DeliveryReceipt
        do {
            receipt = try await inbox.record(delivery)
        } catch {
            // 5xx: GitLab retries, and nothing was acknowledged that is not stored.
            throw APIError.internalFailure(nil, "cannot store webhook delivery for repo '\(repo.name)': \(error)")
        }
        guard let earlier = receipt.duplicateOf else {
            return Self.accepted(receipt.id)
        }
        return JSONResponse.make(ReceiptView(status: "duplicate", reason: "already received as delivery \(receipt.id); nothing new was created",
                                             delivery_id: receipt.id, outcome: OutcomeView(earlier)))
    }

    @Sendable func list(_ request: Request, context: TrestleRequestContext) async throws -> Response {
        try requireAdmin(context)
        let limit = request.uri.queryParameters["limit"].flatMap { Int(String($0)) } ?? 50
        guard (1...Self.listLimit).contains(limit) else {
            throw APIError.paramIllegal("limit must be a whole number from 1 to \(Self.listLimit)")
        }
        let deliveries = try await TaskCommands.storeCall(nil) { try await store.deliveries(limit: limit) }
        return JSONResponse.make(deliveries.map(DeliveryView.init))
    }

    @Sendable func explain(_ request: Request, context: TrestleRequestContext) async throws -> Response {
        try requireAdmin(context)
        let text = context.parameters.get("id") ?? ""
        guard let id = Int64(text), id > 0 else {
            throw APIError.paramIllegal("delivery id '\(text.prefix(40))' is not a positive whole number")
        }
        guard let stored = try await TaskCommands.storeCall(nil, { try await store.delivery(id: id) }) else {
            throw APIError.routeNotFound("webhook delivery \(id)")
        }
        return JSONResponse.make(DeliveryView(stored))
    }

    private func requireAdmin(_ context: TrestleRequestContext) throws {
        guard let token = context.token, token.allows(.admin) else {
            throw APIError.forbidden(token: context.token?.name ?? "anonymous", scope: .admin)
        }
    }

    /// `Idempotency-Key` (GitLab re-sends with the same one); else the event UUID with the body;
    /// else the body alone. Always a SHA-256 of all of it with the repo's name, so keys never collide
    /// by a shared prefix, and one repo's deliveries (whose secret a caller may hold) can never
    /// claim another repo's keys. The kind stays readable in front.
    static func dedupeKey(_ headers: WebhookRequestHeaders, body: Data, repo: String) -> String {
        var hasher = SHA256()
        hasher.update(data: Array(repo.utf8))
        hasher.update(data: [0])
        let kind: String
        if let key = headers.idempotencyKey, !key.isEmpty {
            kind = "key"
            hasher.update(data: Array(key.utf8))
        } else if let uuid = headers.eventUUID, !uuid.isEmpty {
            kind = "uuid"
            hasher.update(data: Array(uuid.utf8))
            hasher.update(data: [0])
            hasher.update(data: body)
        } else {
            kind = "body"
            hasher.update(data: body)
        }
        let hex = Array("0123456789abcdef".utf8)
        return kind + ":" + String(decoding: hasher.finalize().flatMap { [hex[Int($0 >> 4)], hex[Int($0 & 15)]] }, as: UTF8.self)
    }

    /// The hot path's answer, without an encoder: `{"delivery_id":N,"reason":…,"status":"accepted"}`.
    static func accepted(_ id: Int64) -> Response {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(96)
        buffer.writeStaticString(#"{"delivery_id":"#)
        buffer.writeString(String(id))
        buffer.writeStaticString(#","reason":"stored; tasks are created from it shortly","status":"accepted"}"#)
        return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                        body: ResponseBody(byteBuffer: buffer))
    }
}
