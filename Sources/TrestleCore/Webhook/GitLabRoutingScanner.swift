import Foundation

/// Reads `GitLabRouting`'s few fields from a webhook body in one pass, checking on the way that
/// the whole body is JSON (RFC 8259: nesting, strings and their escapes, numbers, literals,
/// UTF-8) and skipping every other value without building it.
///
/// Why not `JSONDecoder`: the receiver runs this before each delivery's commit, and under
/// `make bench` `JSONDecoder` took 80 % of the handler's time and 11 % of the server's (perf):
/// it builds a map of the whole 3 KB document and goes through `Codable` for the seven fields
/// read here. The processor still decodes the stored body with `JSONDecoder` after the 2xx.
public enum GitLabRoutingScanner {
    /// Deeper nesting than this is refused, as `JSONDecoder` refuses it.
    static let maximumDepth = 512

    public static func scan(_ body: Data) throws(WebhookPayloadError) -> GitLabRouting {
        let result: Result<GitLabRouting, WebhookPayloadError> = body.withUnsafeBytes { raw in
            var scanner = RoutingScanner(bytes: raw.bindMemory(to: UInt8.self))
            do throws(WebhookPayloadError) {
                return .success(try scanner.document())
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}

/// Where a value sits, for the fields routing reads.
private enum Slot: Int {
    case root, objectKind, ref, after, project, projectID, projectPath, attributes, iid, lastCommit, lastCommitID, other

    func child(_ key: String) -> Slot {
        switch (self, key) {
        case (.root, "object_kind"): .objectKind
        case (.root, "ref"): .ref
        case (.root, "after"): .after
        case (.root, "project"): .project
        case (.root, "object_attributes"): .attributes
        case (.project, "id"): .projectID
        case (.project, "path_with_namespace"): .projectPath
        case (.attributes, "iid"): .iid
        case (.attributes, "last_commit"): .lastCommit
        case (.lastCommit, "id"): .lastCommitID
        default: .other
        }
    }

    /// `child` of a key without escapes, matched on its bytes, so the keys routing skips are
    /// never made into strings.
    func child(raw key: UnsafeBufferPointer<UInt8>) -> Slot {
        switch self {
        case .root:
            if Self.matches(key, "object_kind") { return .objectKind }
            if Self.matches(key, "ref") { return .ref }
            if Self.matches(key, "after") { return .after }
            if Self.matches(key, "project") { return .project }
            if Self.matches(key, "object_attributes") { return .attributes }
        case .project:
            if Self.matches(key, "id") { return .projectID }
            if Self.matches(key, "path_with_namespace") { return .projectPath }
        case .attributes:
            if Self.matches(key, "iid") { return .iid }
            if Self.matches(key, "last_commit") { return .lastCommit }
        case .lastCommit:
            if Self.matches(key, "id") { return .lastCommitID }
        default: break
        }
        return .other
    }

    private static func matches(_ key: UnsafeBufferPointer<UInt8>, _ name: StaticString) -> Bool {
        key.count == name.utf8CodeUnitCount && memcmp(key.baseAddress!, name.utf8Start, key.count) == 0
    }

    /// Only objects on the way to a read field have keys worth decoding.
    var readsKeys: Bool { self == .root || self == .project || self == .attributes || self == .lastCommit }

    var path: String {
        switch self {
        case .root, .other: "body"
        case .objectKind: "object_kind"
        case .ref: "ref"
        case .after: "after"
        case .project: "project"
        case .projectID: "project.id"
        case .projectPath: "project.path_with_namespace"
        case .attributes: "object_attributes"
        case .iid: "object_attributes.iid"
        case .lastCommit: "object_attributes.last_commit"
        case .lastCommitID: "object_attributes.last_commit.id"
        }
    }
}

private struct RoutingScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0
    var routing = GitLabRouting()
    /// Routing fields met so far (one bit per `Slot`): each path to one exists once in a document.
    var seen = 0

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    mutating func document() throws(WebhookPayloadError) -> GitLabRouting {
        // JSON outside strings is ASCII, so a body that is UTF-8 has UTF-8 strings.
        guard String(validating: bytes, as: UTF8.self) != nil else { throw WebhookPayloadError("body is not valid JSON: it is not UTF-8") }
        skipWhitespace()
        guard peek() == UInt8(ascii: "{") else {
            throw index < bytes.count && startsValue(bytes[index]) ? WebhookPayloadError("body: expected an object")
                : invalid("expected a JSON object")
        }
        try value(.root, depth: 0)
        skipWhitespace()
        guard index == bytes.count else { throw invalid("unexpected text after the JSON object") }
        return routing
    }

    private func invalid(_ what: String) -> WebhookPayloadError {
        WebhookPayloadError("body is not valid JSON: \(what) at byte \(index)")
    }

    private func peek() -> UInt8? {
        index < bytes.count ? bytes[index] : nil
    }

    private func startsValue(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "["), UInt8(ascii: "\""), UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"): true
        default: false
        }
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws(WebhookPayloadError) {
        skipWhitespace()
        guard peek() == byte else { throw invalid("expected \(what)") }
        index += 1
    }

    /// One value at `slot`: stored when routing reads it, checked and skipped otherwise.
    private mutating func value(_ slot: Slot, depth: Int) throws(WebhookPayloadError) {
        guard depth < GitLabRoutingScanner.maximumDepth else { throw invalid("nesting deeper than \(GitLabRoutingScanner.maximumDepth)") }
        skipWhitespace()
        guard let byte = peek() else { throw invalid("unexpected end of the body") }
        switch byte {
        case UInt8(ascii: "{"):
            switch slot {
            case .project: routing.project = routing.project ?? GitLabRouting.Project()
            case .attributes: routing.objectAttributes = routing.objectAttributes ?? GitLabRouting.Attributes()
            case .lastCommit:
                let lastCommit = routing.objectAttributes?.lastCommit ?? GitLabRouting.Attributes.LastCommit()
                routing.objectAttributes?.lastCommit = lastCommit
            case .root, .other: break
            default: throw mismatch(slot)
            }
            try object(slot, depth: depth)
        case UInt8(ascii: "["):
            guard slot == .other else { throw mismatch(slot) }
            try array(depth: depth)
        case UInt8(ascii: "\""):
            let text = try string(decode: slot != .other)
            switch slot {
            case .objectKind: routing.objectKind = text
            case .ref: routing.ref = text
            case .after: routing.after = text
            case .projectPath: routing.project?.pathWithNamespace = text
            case .lastCommitID: routing.objectAttributes?.lastCommit?.id = text
            case .other: break
            default: throw mismatch(slot)
            }
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let whole = try number()
            switch slot {
            case .projectID, .iid:
                guard let whole else { throw mismatch(slot) }
                if slot == .projectID { routing.project?.id = whole } else { routing.objectAttributes?.iid = whole }
            case .other: break
            default: throw mismatch(slot)
            }
        case UInt8(ascii: "t"):
            try literal("true")
            guard slot == .other else { throw mismatch(slot) }
        case UInt8(ascii: "f"):
            try literal("false")
            guard slot == .other else { throw mismatch(slot) }
        case UInt8(ascii: "n"):
            // null is an absent field, as `decodeIfPresent` reads it.
            try literal("null")
        default:
            throw invalid("unexpected character")
        }
    }

    /// A read field holding a value of another type.
    private func mismatch(_ slot: Slot) -> WebhookPayloadError {
        let expected = switch slot {
        case .projectID, .iid: "a whole number"
        case .project, .attributes, .lastCommit, .root: "an object"
        default: "a string"
        }
        return WebhookPayloadError("\(slot.path): expected \(expected)")
    }

    private mutating func object(_ slot: Slot, depth: Int) throws(WebhookPayloadError) {
        index += 1
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
            return
        }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw invalid("expected a key in quotes") }
            let child = try key(in: slot)
            if child != .other {
                // `JSONDecoder` keeps a repeated key's first value and this scanner would keep the
                // last: the receiver and the processor would read two different deliveries.
                guard seen & (1 << child.rawValue) == 0 else {
                    throw WebhookPayloadError("\(child.path): the key appears twice; send each key once")
                }
                seen |= 1 << child.rawValue
            }
            try expect(UInt8(ascii: ":"), "':' after a key")
            try value(child, depth: depth + 1)
            skipWhitespace()
            guard let next = peek() else { throw invalid("unexpected end of the body") }
            index += 1
            if next == UInt8(ascii: "}") { return }
            guard next == UInt8(ascii: ",") else { throw invalid("expected ',' or '}'") }
        }
    }

    private mutating func array(depth: Int) throws(WebhookPayloadError) {
        index += 1
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            index += 1
            return
        }
        while true {
            try value(.other, depth: depth + 1)
            skipWhitespace()
            guard let next = peek() else { throw invalid("unexpected end of the body") }
            index += 1
            if next == UInt8(ascii: "]") { return }
            guard next == UInt8(ascii: ",") else { throw invalid("expected ',' or ']'") }
        }
    }

    private mutating func literal(_ word: StaticString) throws(WebhookPayloadError) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count,
              (0..<count).allSatisfy({ bytes[index + $0] == word.utf8Start[$0] }) else { throw invalid("unexpected word") }
        index += count
    }

    /// A number, checked against JSON's grammar; its value when it is a whole number that fits an Int.
    private mutating func number() throws(WebhookPayloadError) -> Int? {
        let start = index
        if peek() == UInt8(ascii: "-") { index += 1 }
        guard let first = peek(), isDigit(first) else { throw invalid("expected a digit") }
        index += 1
        if first != UInt8(ascii: "0") { skipDigits() }
        var whole = true
        if peek() == UInt8(ascii: ".") {
            index += 1
            guard let digit = peek(), isDigit(digit) else { throw invalid("expected a digit after '.'") }
            skipDigits()
            whole = false
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            index += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
            guard let digit = peek(), isDigit(digit) else { throw invalid("expected a digit in the exponent") }
            skipDigits()
            whole = false
        }
        guard whole else { return nil }
        return Int(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
    }

    private func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private mutating func skipDigits() {
        while let byte = peek(), isDigit(byte) { index += 1 }
    }

    /// The slot of the key at the opening quote, read as `child` reads it.
    private mutating func key(in slot: Slot) throws(WebhookPayloadError) -> Slot {
        guard slot.readsKeys else {
            _ = try string(decode: false)
            return .other
        }
        let start = index + 1
        let escaped = try skipString()
        guard escaped else { return slot.child(raw: UnsafeBufferPointer(rebasing: bytes[start..<(index - 1)])) }
        index = start - 1
        return try string(decode: true).map(slot.child) ?? .other
    }

    /// A string at the opening quote: checked (escapes, control characters), and decoded when asked.
    private mutating func string(decode: Bool) throws(WebhookPayloadError) -> String? {
        let start = index + 1
        let escaped = try skipString()
        guard decode else { return nil }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<(index - 1)]), as: UTF8.self)
        return escaped ? try unescape(text) : text
    }

    /// Moves past the string at the opening quote, checking it; whether it holds escapes.
    private mutating func skipString() throws(WebhookPayloadError) -> Bool {
        index += 1
        var escaped = false
        while true {
            skipPlainBytes()
            guard let byte = peek() else { throw invalid("unterminated string") }
            if byte == UInt8(ascii: "\"") { break }
            if byte < 0x20 { throw invalid("control character in a string") }
            if byte == UInt8(ascii: "\\") {
                escaped = true
                index += 1
                guard let code = peek() else { throw invalid("unterminated string") }
                switch code {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                     UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    index += 1
                case UInt8(ascii: "u"):
                    guard index + 4 < bytes.count, (1...4).allSatisfy({ isHex(bytes[index + $0]) }) else {
                        throw invalid("\\u needs four hex digits")
                    }
                    index += 5
                default:
                    throw invalid("unknown escape in a string")
                }
                continue
            }
            index += 1
        }
        index += 1
        return escaped
    }

    /// Skips string bytes that need no attention (not a quote, a backslash or a control
    /// character), eight at a time while a whole word of them remains.
    private mutating func skipPlainBytes() {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let base = UnsafeRawPointer(bytes.baseAddress!)
        while index + 8 <= bytes.count {
            let word = base.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            let quote = word ^ (ones &* 0x22)
            let backslash = word ^ (ones &* 0x5C)
            // A byte is flagged when it is zero (after the xor) or below 0x20.
            let flagged = ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | ((word &- ones &* 0x20) & ~word)
            guard flagged & highs == 0 else { break }
            index += 8
        }
        while let byte = peek(), byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\"), byte >= 0x20 {
            index += 1
        }
    }

    private func isHex(_ byte: UInt8) -> Bool {
        isDigit(byte) || (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "f"))
    }

    /// The text of a string whose escapes were checked by `string`.
    private func unescape(_ text: String) throws(WebhookPayloadError) -> String {
        var scalars = String.UnicodeScalarView()
        var units = Array(text.utf16)[...]
        var pendingHigh: UInt16?
        func hex4(_ digits: ArraySlice<UInt16>) -> UInt16 {
            digits.reduce(0) { value, unit in
                let digit = UInt8(unit)
                let nibble = isDigit(digit) ? digit - UInt8(ascii: "0") : (digit | 0x20) - UInt8(ascii: "a") + 10
                return value << 4 | UInt16(nibble)
            }
        }
        while let unit = units.popFirst() {
            var code = unit
            if unit == UInt16(UInt8(ascii: "\\")), let kind = units.popFirst() {
                switch UInt8(kind) {
                case UInt8(ascii: "b"): code = 0x08
                case UInt8(ascii: "f"): code = 0x0C
                case UInt8(ascii: "n"): code = 0x0A
                case UInt8(ascii: "r"): code = 0x0D
                case UInt8(ascii: "t"): code = 0x09
                case UInt8(ascii: "u"):
                    code = hex4(units.prefix(4))
                    units = units.dropFirst(4)
                default: code = kind
                }
            }
            if let high = pendingHigh {
                pendingHigh = nil
                guard UTF16.isTrailSurrogate(code) else { throw invalid("a \\u escape is half a surrogate pair") }
                let value = 0x10000 + (UInt32(high - 0xD800) << 10) + UInt32(code - 0xDC00)
                scalars.append(Unicode.Scalar(value)!)
            } else if UTF16.isLeadSurrogate(code) {
                pendingHigh = code
            } else if let scalar = Unicode.Scalar(code) {
                scalars.append(scalar)
            } else {
                throw invalid("a \\u escape is half a surrogate pair")
            }
        }
        guard pendingHigh == nil else { throw invalid("a \\u escape is half a surrogate pair") }
        return String(scalars)
    }
}
