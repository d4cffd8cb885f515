import Crypto
import Foundation
import TrestleCore

/// A browser's signed-in session: the name of the API token it signed in with, until when. The
/// cookie is `<payload>.<HMAC-SHA256 of it>`, keyed by `server.session_secret`; nothing is kept on
/// the server, so any node sharing the secret takes it, and a new secret signs everyone out. The
/// token is looked up by name on every request, so its scopes apply as configured now and a
/// token removed from the config ends its sessions.
struct DashboardSessions: Sendable {
    static let cookieName = "trestle_session"
    /// Twelve hours.
    static let lifetime: Int64 = 12 * 3_600

    /// The key's bytes (SymmetricKey is not Sendable): made into a key for each signature.
    private let key: [UInt8]
    /// Secure cookies when the server is reached over https.
    let secure: Bool

    init(secret: Secret?, externalURL: String) {
        key = secret.map { Array($0.value.utf8) } ?? (0..<32).map { _ in UInt8.random(in: .min ... .max) }
        secure = externalURL.lowercased().hasPrefix("https://")
    }

    struct Session: Sendable, Equatable {
        var tokenName: String
        var expires: Int64
    }

    /// The cookie value for a new session of `tokenName`.
    func cookieValue(tokenName: String, now: Int64) -> String {
        let nonce = (0..<2).map { _ in String(UInt64.random(in: .min ... .max), radix: 36) }.joined(separator: "")
        let payload = Data("\(tokenName)\n\(now + Self.lifetime)\n\(nonce)".utf8).base64URL
        return payload + "." + signature(payload)
    }

    /// The session a cookie value holds, if its signature is ours and it has not expired.
    func session(cookie value: String, now: Int64) -> Session? {
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, ConstantTime.equal(signature(String(parts[0])), String(parts[1])),
              let payload = Data(base64URL: String(parts[0])), let text = String(data: payload, encoding: .utf8) else { return nil }
        let fields = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard fields.count == 3, let expires = Int64(fields[1]), expires > now, !fields[0].isEmpty else { return nil }
        return Session(tokenName: String(fields[0]), expires: expires)
    }

    /// The form token of a session: forms that change something carry it, so another site's page
    /// cannot post them with the browser's cookie.
    func csrfToken(cookie value: String) -> String {
        signature("csrf\n" + value)
    }

    func setCookie(_ value: String) -> String {
        "\(Self.cookieName)=\(value); Path=/; Max-Age=\(Self.lifetime); HttpOnly; SameSite=Strict\(secure ? "; Secure" : "")"
    }

    func clearCookie() -> String {
        "\(Self.cookieName)=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict\(secure ? "; Secure" : "")"
    }

    private func signature(_ text: String) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: SymmetricKey(data: key))).base64URL
    }
}

extension Data {
    var base64URL: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    init?(base64URL text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        self.init(base64Encoded: base64)
    }
}
