/// A URL as it may be shown: in logs, errors, `check-config` and the API. Credentials in its
/// userinfo are removed, including ones a user forgot to percent-encode (`@`, `/`, `?`, `#` or
/// `:` in them).
///
/// The userinfo ends at the URL's last `@`. When the text before that `@` cannot be userinfo
/// alone (it holds `/`, `?` or `#`), the URL is ambiguous: a password with a `/` looks like a path
/// with an `@`. Then everything up to the `@` is shown as `***`, so a password is never printed,
/// at the price of hiding the host of the rare path that holds an `@`.
public enum URLRedaction {
    public static func redact(_ url: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let rest = url[scheme.upperBound...]
        guard let at = rest.lastIndex(of: "@") else { return url }
        let before = rest[..<at]
        let after = String(url[url.index(after: at)...])
        if before.contains(where: { $0 == "/" || $0 == "?" || $0 == "#" }) {
            return String(url[..<scheme.upperBound]) + "***@" + after
        }
        return String(url[..<scheme.upperBound]) + after
    }
}
