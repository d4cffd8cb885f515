import HTTPTypes
import Hummingbird
import TrestleCore

/// `Authorization: Bearer <token>` or `X-Auth-Token: <token>` on every route but the open ones.
/// Reads (GET, HEAD) need the `read` scope; everything else needs `trigger`.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = TrestleRequestContext

    let authenticator: TokenAuthenticator
    let openPaths: Set<String>
    /// Routes under these prefixes check their own credentials (per-repo webhook URLs).
    var openPrefixes: [String] = []
    /// Requests the dashboard authenticates by its session cookie: its own pages, and a task's
    /// `url` asked for by a browser without an API token.
    var dashboard: @Sendable (Request) -> Bool = { _ in false }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if openPaths.contains(path) || openPrefixes.contains(where: { path.hasPrefix($0) }) {
            return try await next(request, context)
        }
        guard let presented = Self.presentedToken(request) else {
            if dashboard(request) { return try await next(request, context) }
            throw APIError.authFailed
        }
        guard let token = authenticator.authenticate(presented) else {
            throw APIError.authFailed
        }
        let needed: Scope = path == MetricsRoute.path ? .metrics
            : (request.method == .get || request.method == .head) ? .read : .trigger
        guard token.allows(needed) else {
            throw APIError.forbidden(token: token.name, scope: needed)
        }
        var context = context
        context.token = token
        return try await next(request, context)
    }

    /// The token of `Authorization: Bearer <token>` (scheme case-insensitive) or `X-Auth-Token`.
    static func presentedToken(_ request: Request) -> String? {
        if let header = request.headers[.authorization] {
            let bytes = header.utf8
            if bytes.count > 7,
               bytes.prefix(6).map({ $0 | 0x20 }).elementsEqual("bearer".utf8),
               bytes.dropFirst(6).first == UInt8(ascii: " ") {
                let token = bytes.dropFirst(7).drop { $0 == UInt8(ascii: " ") }
                return token.isEmpty ? nil : String(Substring(token))
            }
        }
        return request.headers[HeaderName.authToken]
    }
}
