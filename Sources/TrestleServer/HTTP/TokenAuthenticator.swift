import Crypto
import TrestleCore

/// Checks presented API tokens against the configured ones. Only SHA-256 digests are kept,
/// and every candidate is compared in constant time, so neither timing nor a memory dump
/// gives the tokens away.
public struct TokenAuthenticator: Sendable {
    private let entries: [(token: APIToken, digest: [UInt8])]

    public init(tokens: [APIToken]) {
        entries = tokens.map { token in
            switch token.secret {
            case .plain(let secret): (token, Array(SHA256.hash(data: Array(secret.value.utf8))))
            case .sha256Hex(let hex): (token, Self.bytes(fromHex: hex))
            }
        }
    }

    /// The token whose secret is `presented`, if any.
    public func authenticate(_ presented: String) -> APIToken? {
        let digest = Array(SHA256.hash(data: Array(presented.utf8)))
        var match: APIToken?
        for entry in entries where ConstantTime.equal(entry.digest, digest) {
            match = entry.token
        }
        return match
    }

    private static func bytes(fromHex hex: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var iterator = hex.utf8.makeIterator()
        while let high = iterator.next(), let low = iterator.next() {
            bytes.append(nibble(high) << 4 | nibble(low))
        }
        return bytes
    }

    private static func nibble(_ char: UInt8) -> UInt8 {
        switch char {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): char - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): char - UInt8(ascii: "a") + 10
        default: 0
        }
    }
}
