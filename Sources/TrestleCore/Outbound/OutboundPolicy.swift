import Foundation

/// Where a caller-chosen URL (a descriptor's `resourceName`, a submit's `callback`) may be sent.
///
/// The admin lists patterns in `flows.allowed_urls`; the server's own sample functions are always
/// allowed. A URL is compared in a normal form rebuilt from its parts (`scheme://host[:port]/path`),
/// so `http://127.0.0.1:80@evil.example/` cannot pass for a loopback URL, and a URL with userinfo
/// is refused outright. Link-local and cloud metadata addresses are refused even when a pattern
/// matches; the caller checks the addresses a host name resolves to with `isForbidden(address:)`.
public struct OutboundPolicy: Sendable {
    public let patterns: [String]
    /// `scheme://host:port` of the server itself, for its sample functions.
    public let ownOrigin: String?

    public static let ownPaths: Set<String> = ["/flow/sample/start_node.json", "/flow/sample/end_node.json"]
    public static let setting = "flows.allowed_urls"

    public init(patterns: [String], ownOrigin: String?) {
        self.patterns = patterns
        self.ownOrigin = ownOrigin.flatMap { OutboundPolicy.parse($0)?.origin }
    }

    /// The parts of a URL the policy looks at.
    public struct Target: Sendable, Equatable {
        public var scheme: String
        public var host: String
        public var port: Int
        public var path: String

        var hostPart: String { host.contains(":") ? "[\(host)]" : host }
        public var origin: String { "\(scheme)://\(hostPart):\(port)" }
        public var normalized: String { "\(origin)\(path)" }
    }

    /// The URL's target when it may be called; otherwise why not, naming the URL and the setting.
    public func check(_ url: String) -> Result<Target, OutboundRefusal> {
        guard let target = Self.parse(url) else {
            return .failure(OutboundRefusal("'\(URLRedaction.redact(url))' is not an http(s) URL without credentials"))
        }
        if Self.isForbidden(host: target.host) {
            return .failure(OutboundRefusal("\(target.normalized) is a link-local or cloud metadata address, which is never called"))
        }
        if let ownOrigin, target.origin == ownOrigin, Self.ownPaths.contains(target.path) { return .success(target) }
        guard patterns.contains(where: { Self.matches($0, target) }) else {
            return .failure(OutboundRefusal("\(target.normalized) matches no pattern of \(Self.setting); the admin may add"
                + " one, e.g. \"\(target.scheme)://\(target.host)/*\""))
        }
        return .success(target)
    }

    /// A pattern's scheme, authority and path are matched apart, so a `*` in the host never
    /// reaches into the path (`https://*.functions.internal/*` does not take
    /// `https://evil.example/.functions.internal/x`). An authority without a port matches the
    /// scheme's default port.
    static func matches(_ pattern: String, _ target: Target) -> Bool {
        guard let schemeEnd = pattern.range(of: "://") else { return false }
        let scheme = pattern[..<schemeEnd.lowerBound].lowercased()
        let rest = pattern[schemeEnd.upperBound...]
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash].lowercased()
        let path = rest[slash...].isEmpty ? "/" : String(rest[slash...])
        guard Glob.matches(scheme, target.scheme), Glob.matches(path, target.path) else { return false }
        let isDefault = (target.scheme == "https" && target.port == 443) || (target.scheme == "http" && target.port == 80)
        let candidates = ["\(target.hostPart):\(target.port)"] + (isDefault ? [target.hostPart] : [])
        return candidates.contains { Glob.matches(authority, $0) }
    }

    static func parse(_ url: String) -> Target? {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", components.user == nil, components.password == nil,
              var host = components.host?.lowercased(), !host.isEmpty else { return nil }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let port = components.port ?? (scheme == "https" ? 443 : 80)
        guard (1...65_535).contains(port) else { return nil }
        let path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        return Target(scheme: scheme, host: host, port: port, path: path)
    }

    /// 169.254.0.0/16 and fe80::/10 (link-local, where cloud metadata services answer),
    /// fd00:ec2::254 (AWS' IPv6 metadata), also written as IPv4-mapped IPv6.
    public static func isForbidden(address bytes: [UInt8]) -> Bool {
        switch bytes.count {
        case 4:
            return bytes[0] == 169 && bytes[1] == 254
        case 16:
            if bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80 { return true }
            if bytes == [0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54] { return true }
            if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff {
                return isForbidden(address: Array(bytes[12...]))
            }
            return false
        default:
            return false
        }
    }

    /// A host written as an IP literal, checked without resolving; names are checked by the caller.
    static func isForbidden(host: String) -> Bool {
        if host == "metadata.google.internal" { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            return withUnsafeBytes(of: v4) { isForbidden(address: Array($0)) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 {
            return withUnsafeBytes(of: v6) { isForbidden(address: Array($0)) }
        }
        return false
    }
}

public struct OutboundRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String

    public init(_ reason: String) {
        self.reason = reason
    }

    public var description: String { "refused outbound call: \(reason)" }
}

/// `*` matches any run of characters, everything else itself. Iterative, linear in practice.
enum Glob {
    static func matches(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern.utf8), t = Array(text.utf8)
        var (pi, ti) = (0, 0)
        var star: Int?
        var resume = 0
        while ti < t.count {
            if pi < p.count, p[pi] == UInt8(ascii: "*") {
                star = pi
                resume = ti
                pi += 1
            } else if pi < p.count, p[pi] == t[ti] {
                pi += 1
                ti += 1
            } else if let star {
                pi = star + 1
                resume += 1
                ti = resume
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == UInt8(ascii: "*") { pi += 1 }
        return pi == p.count
    }
}
