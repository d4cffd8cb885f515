/// A full commit id: 40 lowercase hex characters.
public struct CommitID: Sendable, Hashable, Codable, CustomStringConvertible, Comparable {
    public static let length = 40
    public let hex: String

    /// Accepts 40 hex characters in any case; answers nil for anything else.
    public init?(_ text: String) {
        guard text.utf8.count == Self.length, let lowered = HexText.lowercased(text) else { return nil }
        hex = lowered
    }

    public var description: String { hex }
    /// The 8-character short form used in seed 000's examples.
    public var short: String { String(hex.prefix(8)) }

    public static func < (lhs: CommitID, rhs: CommitID) -> Bool { lhs.hex < rhs.hex }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = CommitID(text) else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "'\(text)' is not a 40-character hex commit id"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}

/// A commit id or an abbreviation of one: 4 to 40 hex characters, lowercased.
public struct CommitPrefix: Sendable, Hashable, CustomStringConvertible {
    public static let minimumLength = 4
    public let hex: String

    public init(parsing text: String) throws(CommitPrefixError) {
        let count = text.utf8.count
        guard count >= Self.minimumLength else { throw .tooShort(text) }
        guard count <= CommitID.length else { throw .tooLong(text) }
        guard let lowered = HexText.lowercased(text) else { throw .notHex(text) }
        hex = lowered
    }

    public var description: String { hex }
    public var isFullID: Bool { hex.utf8.count == CommitID.length }

    /// The exclusive upper bound of the range of ids that start with this prefix:
    /// every lowercase hex continuation sorts below `prefix + "g"`.
    public var rangeUpperBound: String { hex + "g" }
}

public enum CommitPrefixError: Error, Sendable, Equatable, CustomStringConvertible {
    case tooShort(String)
    case tooLong(String)
    case notHex(String)

    public var description: String {
        switch self {
        case .tooShort(let text):
            "commit id '\(text)' is too short: give at least \(CommitPrefix.minimumLength) hex characters (8 is usual)"
        case .tooLong(let text):
            "commit id '\(text.prefix(48))…' is longer than \(CommitID.length) characters"
        case .notHex(let text):
            "commit id '\(text)' is not hexadecimal: use only 0-9 and a-f"
        }
    }
}

enum HexText {
    /// The text lowercased if every character is a hex digit, else nil.
    static func lowercased(_ text: String) -> String? {
        var bytes = [UInt8]()
        bytes.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"):
                bytes.append(byte)
            case UInt8(ascii: "A")...UInt8(ascii: "F"):
                bytes.append(byte + 32)
            default:
                return nil
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
