import AsyncHTTPClient
import Foundation
import TrestleCore

/// The HTTP client for calls to URLs from outside the config (flow functions and callbacks) and
/// to GitLab.
///
/// It never follows a redirect: a 3xx is an answer like any other, so a call checked against
/// `flows.allowed_urls` cannot be bounced to an address that was not checked, and GitLab's
/// `PRIVATE-TOKEN` never travels to another origin.
public enum OutboundHTTP {
    public static let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup,
                                          configuration: HTTPClient.Configuration(redirectConfiguration: .disallow))

    /// A refusal when `host` resolves to a link-local or metadata address (a name an attacker
    /// points at 169.254.169.254 passes any pattern that matches the name). A name that does not
    /// resolve is left for the call itself to fail on.
    static func forbiddenAddress(of host: String) -> OutboundRefusal? {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else { return nil }
        defer { freeaddrinfo(list) }
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let current = entry {
            if let address = current.pointee.ai_addr {
                let bytes: [UInt8]
                switch Int32(address.pointee.sa_family) {
                case AF_INET:
                    bytes = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { withUnsafeBytes(of: $0.pointee.sin_addr) { Array($0) } }
                case AF_INET6:
                    bytes = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { withUnsafeBytes(of: $0.pointee.sin6_addr) { Array($0) } }
                default:
                    bytes = []
                }
                if OutboundPolicy.isForbidden(address: bytes) {
                    return OutboundRefusal("\(host) resolves to a link-local or cloud metadata address, which is never called")
                }
            }
            entry = current.pointee.ai_next
        }
        return nil
    }

    /// The policy's answer for `url`, then the resolved addresses' answer.
    static func check(_ url: String, policy: OutboundPolicy) -> OutboundRefusal? {
        switch policy.check(url) {
        case .failure(let refusal): refusal
        case .success(let target): forbiddenAddress(of: target.host)
        }
    }
}
