import Hummingbird
import TrestleCore

/// Every way a request can fail, and the seed body and HTTP status each one answers with.
/// This is the only place HTTP statuses and error bodies are chosen for failures; the body's
/// shape follows the seed of the route (see `ErrorDialect`).
enum APIError: Error {
    /// Missing or unknown token.
    case authFailed
    case forbidden(token: String, scope: Scope)
    /// Bad query or path parameter.
    case paramIllegal(String)
    /// The route's limit in bytes and the config key that sets it.
    case bodyTooLarge((bytes: Int, key: String))
    /// The body did not arrive within `server.body_timeout`.
    case bodyTimeout(seconds: Int)
    case routeNotFound(String)
    /// A workflow or task a read names does not exist; the text names the input and what exists.
    case notFound(String)
    /// A failed create, restart or cancel: seed 000's (and 001's) `code` body.
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
        case .bodyTimeout: .requestTimeout
        case .routeNotFound, .notFound: .notFound
        case .operation(_, .taskNotFound), .operation(_, .workflowNotFound): .notFound
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
        case .bodyTimeout(let seconds): "the request body did not arrive within server.body_timeout (\(seconds) s); send it at once"
        case .routeNotFound(let path): "no route for \(path)"
        case .notFound(let reason): reason
        case .operation(_, let failure): failure.description
        case .internalFailure(_, let reason): reason
        case .webhookRejected(_, let reason): reason
        case .flow(let failure): failure.description
        }
    }

    /// What the body may say: the reason, except for our own failures, whose details stay in the log.
    private var publicReason: String {
        if case .internalFailure = self { return "internal error; the server log has the details" }
        return reason
    }

    func body(_ dialect: ErrorDialect) -> SeedErrorBody {
        switch (self, dialect) {
        case (.webhookRejected(_, let reason), _): return .webhook(reason)
        case (_, .zadig): return zadigBody
        case (.operation, .aslan), (.internalFailure(_?, _), .aslan): return zadigBody
        case (_, .aslan): return .operation(code: Int(status.code), description: publicReason, message: resultMessage)
        case (_, .codeArts): return .codeArts(code: "TRESTLE.\(status.code)", message: publicReason)
        case (_, .aom): return .aom(code: aomCode, message: publicReason, httpCode: Int(status.code))
        case (_, .rillFlow): return .flow(publicReason)
        }
    }

    private var zadigBody: SeedErrorBody {
        switch self {
        case .operation(let operation, let failure):
            .operation(code: operation.code, description: failure.description, message: operation.message)
        case .internalFailure(let operation?, _):
            .operation(code: operation.code, description: publicReason, message: operation.message)
        default:
            .result(Int(status.code), resultMessage)
        }
    }

    /// Seed 000's `errorMsg` for a failure with no operation code.
    private var resultMessage: String {
        switch status {
        case .unauthorized: "auth failed!"
        case .forbidden: "permission denied!"
        case .badRequest: "param is illegal!"
        case .contentTooLarge: "request body too large!"
        case .requestTimeout: "request timeout!"
        case .notFound: "not found!"
        default: "internal error!"
        }
    }

    /// Seed 004's own codes for its 401 and 500; Trestle's `TRESTLE.<status>` for the others.
    private var aomCode: String {
        switch status {
        case .unauthorized: "AOM.31009004"
        case .internalServerError: "AOM.31001405"
        default: "TRESTLE.\(status.code)"
        }
    }
}

/// The error shapes of the seeds, and the webhook receiver's.
enum SeedErrorBody: Encodable {
    /// Seed 000: `{"resultCode":401,"errorMsg":"auth failed!"}`
    case result(Int, String)
    /// Seeds 000 and 001: `{"code":6163,"description":…,"extra":{},"message":…,"type":"error"}`
    case operation(code: Int, description: String, message: String)
    /// Seed 003: `{"error_msg":…,"error_code":"TRESTLE.404"}`
    case codeArts(code: String, message: String)
    /// Seed 004 (its table's spelling): `{"error_code":…,"error_msg":…,"http_code":401}`
    case aom(code: String, message: String, httpCode: Int)
    /// `{"status":"rejected","reason":…}` for the webhook receiver.
    case webhook(String)
    /// `{"ret":false,"error":…}` for the Rill Flow routes.
    case flow(String)

    private enum Keys: String, CodingKey {
        case resultCode, errorMsg, code, description, extra, message, type, status, reason, ret, error
        case errorCode = "error_code", errorMessage = "error_msg", httpCode = "http_code"
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
        case .codeArts(let code, let message):
            try container.encode(message, forKey: .errorMessage)
            try container.encode(code, forKey: .errorCode)
        case .aom(let code, let message, let httpCode):
            try container.encode(code, forKey: .errorCode)
            try container.encode(message, forKey: .errorMessage)
            try container.encode(httpCode, forKey: .httpCode)
        case .webhook(let reason):
            try container.encode("rejected", forKey: .status)
            try container.encode(reason, forKey: .reason)
        case .flow(let reason):
            try container.encode(false, forKey: .ret)
            try container.encode(reason, forKey: .error)
        }
    }
}
