import Hummingbird
import TrestleCore

/// Every way a request can fail, and the seed body and HTTP status each one answers with.
/// This is the only place HTTP statuses are chosen for failures.
enum APIError: Error {
    /// Missing or unknown token: seed 000's 401 body.
    case authFailed
    case forbidden(token: String, scope: Scope)
    /// Bad query or path parameter: seed 000's 400 body.
    case paramIllegal(String)
    /// The route's limit in bytes and the config key that sets it.
    case bodyTooLarge((bytes: Int, key: String))
    case routeNotFound(String)
    /// A failed create, restart or cancel: seed 000's `code` body.
    case operation(SeedOperation, TaskOperationFailure)
    /// A failure of ours (store, disk): logged in full, answered without internals.
    case internalFailure(SeedOperation?, String)
    /// A webhook delivery refused: `{"status":"rejected","reason":…}` (GitLab shows the body in its hook log).
    case webhookRejected(HTTPResponse.Status, String)
    /// A Rill Flow request (seed 002) refused: `{"ret":false,"error":…}`, 400 or 404.
    case flow(FlowFailure)

    var status: HTTPResponse.Status {
        switch self {
        case .authFailed: .unauthorized
        case .forbidden: .forbidden
        case .paramIllegal: .badRequest
        case .bodyTooLarge: .contentTooLarge
        case .routeNotFound: .notFound
        case .operation(_, .taskNotFound): .notFound
        case .operation(_, .illegalTransition): .conflict
        case .operation(_, .invalidRequest): .badRequest
        case .operation(_, .sourceUnavailable): .badGateway
        case .internalFailure: .internalServerError
        case .webhookRejected(let status, _): status
        case .flow(.invalid): .badRequest
        case .flow(.notFound): .notFound
        }
    }

    /// Why, for the log and the `X-Trestle-Reason` header (never holds a secret).
    var reason: String {
        switch self {
        case .authFailed: "missing or unknown API token; send Authorization: Bearer <token> or X-Auth-Token"
        case .forbidden(let token, let scope): "token '\(token)' lacks the '\(scope.rawValue)' scope this request needs"
        case .paramIllegal(let reason): reason
        case .bodyTooLarge(let limit): "request body exceeds \(limit.key) (\(limit.bytes) bytes)"
        case .routeNotFound(let path): "no route for \(path)"
        case .operation(_, let failure): failure.description
        case .internalFailure(_, let reason): reason
        case .webhookRejected(_, let reason): reason
        case .flow(let failure): failure.description
        }
    }

    var body: SeedErrorBody {
        switch self {
        case .authFailed: .result(401, "auth failed!")
        case .forbidden: .result(403, "permission denied!")
        case .paramIllegal: .result(400, "param is illegal!")
        case .bodyTooLarge: .result(413, "request body too large!")
        case .routeNotFound: .result(404, "not found!")
        case .operation(let operation, let failure):
            .operation(code: operation.code, description: failure.description, message: operation.message)
        case .internalFailure(let operation?, _):
            .operation(code: operation.code, description: "internal error; the server log has the details",
                       message: operation.message)
        case .internalFailure(nil, _): .result(500, "internal error!")
        case .webhookRejected(_, let reason): .webhook(reason)
        case .flow(let failure): .flow(failure.description)
        }
    }
}

/// The two error shapes of seed 000, the webhook receiver's and the Rill Flow routes'.
enum SeedErrorBody: Encodable {
    /// `{"resultCode":401,"errorMsg":"auth failed!"}`
    case result(Int, String)
    /// `{"code":6163,"description":…,"extra":{},"message":…,"type":"error"}`
    case operation(code: Int, description: String, message: String)
    /// `{"status":"rejected","reason":…}` for the webhook receiver.
    case webhook(String)
    /// `{"ret":false,"error":…}` for the Rill Flow routes.
    case flow(String)

    private enum Keys: String, CodingKey {
        case resultCode, errorMsg, code, description, extra, message, type, status, reason, ret, error
    }

    private struct Empty: Encodable {}

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        switch self {
        case .result(let code, let message):
            try container.encode(code, forKey: .resultCode)
            try container.encode(message, forKey: .errorMsg)
        case .operation(let code, let description, let message):
            try container.encode(code, forKey: .code)
            try container.encode(description, forKey: .description)
            try container.encode(Empty(), forKey: .extra)
            try container.encode(message, forKey: .message)
            try container.encode("error", forKey: .type)
        case .webhook(let reason):
            try container.encode("rejected", forKey: .status)
            try container.encode(reason, forKey: .reason)
        case .flow(let reason):
            try container.encode(false, forKey: .ret)
            try container.encode(reason, forKey: .error)
        }
    }
}
