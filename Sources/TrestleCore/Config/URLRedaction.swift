/// A URL as it may be shown: in logs, errors, `check-config` and the API. Credentials in its
/// userinfo are removed, including ones a user forgot to percent-encode (`@` or `/` in them).
public enum URLRedaction {
    public static func redact(_ url: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let rest = url[scheme.upperBound...]
        let beforeQuery = rest.prefix { $0 != "?" && $0 != "#" }
        let authorityEnd = beforeQuery.firstIndex(of: "/") ?? beforeQuery.endIndex
        // The authority's last `@` ends the userinfo: `u@x:p@host` has the user `u@x`.
        if let at = beforeQuery[..<authorityEnd].lastIndex(of: "@") {
            return String(url[..<scheme.upperBound]) + String(url[url.index(after: at)...])
        }
        // `u:p/q@host`: an unencoded `/` in a password ends the authority too early. A `:` followed
        // by anything but a port number before it means userinfo; it ends at the next `@`.
        let authority = beforeQuery[..<authorityEnd]
        if let colon = authority.firstIndex(of: ":"), !authority[authority.index(after: colon)...].allSatisfy(\.isASCIIDigit),
           let at = beforeQuery[authorityEnd...].firstIndex(of: "@") {
            return String(url[..<scheme.upperBound]) + String(url[url.index(after: at)...])
        }
        return url
    }
}

private extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
