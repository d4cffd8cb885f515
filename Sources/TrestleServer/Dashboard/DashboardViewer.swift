import Hummingbird
import TrestleCore

/// Who looks at a dashboard page: a signed-in token (its scopes apply), or anyone, read-only,
/// where `ui.public_read` allows it.
struct DashboardViewer: Sendable {
    /// The token signed in with; nil for an anonymous reader.
    var token: APIToken?
    /// The form token of the session (empty without one).
    var csrf: String

    func allows(_ scope: Scope) -> Bool {
        guard let token else { return scope == .read }
        return token.allows(scope)
    }

    /// What the layout shows.
    var view: Any {
        guard let token else { return false }
        return ["name": token.name, "csrf": csrf]
    }
}

/// Resolves a request's viewer from its session cookie, against the configured tokens.
struct DashboardAuth: Sendable {
    let sessions: DashboardSessions
    let tokens: [String: APIToken]
    let publicRead: Bool
    let now: @Sendable () -> Int64

    init(config: TrestleConfig, sessions: DashboardSessions, now: @escaping @Sendable () -> Int64) {
        self.sessions = sessions
        tokens = Dictionary(config.auth.tokens.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        publicRead = config.ui.publicRead
        self.now = now
    }

    /// The signed-in viewer, or an anonymous one when public reads are on, or nil.
    func viewer(_ request: Request) -> DashboardViewer? {
        if let cookie = request.cookies[DashboardSessions.cookieName]?.value,
           let session = sessions.session(cookie: cookie, now: now()), let token = tokens[session.tokenName] {
            return DashboardViewer(token: token, csrf: sessions.csrfToken(cookie: cookie))
        }
        return publicRead ? DashboardViewer(token: nil, csrf: "") : nil
    }

    /// Whether a form's `csrf` field is this session's.
    func acceptsForm(_ request: Request, csrf: String?) -> Bool {
        guard let csrf, let cookie = request.cookies[DashboardSessions.cookieName]?.value else { return false }
        return ConstantTime.equal(sessions.csrfToken(cookie: cookie), csrf)
    }

    /// A browser asking for a page: its Accept names text/html before any JSON.
    static func wantsHTML(_ request: Request) -> Bool {
        guard let accept = request.headers[.accept]?.lowercased() else { return false }
        guard let html = accept.range(of: "text/html") else { return false }
        guard let json = accept.range(of: "application/json") else { return true }
        return html.lowerBound < json.lowerBound
    }
}
