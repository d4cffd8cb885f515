/// A branch, tag or path pattern from a trigger rule, always matched against the whole name:
/// `main` never matches `maintenance`.
///
/// - A glob: `*` matches within one `/`-separated segment, `**` across segments, `?` one character.
/// - A regular expression when written `re:<expression>`, anchored at both ends.
public struct RefPattern: Sendable, Hashable, CustomStringConvertible {
    public let text: String
    private let kind: Kind

    private enum Kind: Sendable, Hashable {
        case glob([UInt8])
        case regex(String)
    }

    public init(_ text: String) throws(PatternError) {
        self.text = text
        if text.hasPrefix("re:") {
            let expression = String(text.dropFirst(3))
            guard !expression.isEmpty, (try? Regex(expression)) != nil else {
                throw PatternError(pattern: text, reason: "not a valid regular expression")
            }
            kind = .regex(expression)
        } else {
            guard !text.isEmpty else { throw PatternError(pattern: text, reason: "empty pattern") }
            kind = .glob(Array(text.utf8))
        }
    }

    public var description: String { text }

    public func matches(_ name: String) -> Bool {
        switch kind {
        case .glob(let pattern):
            return Self.glob(pattern[...], Array(name.utf8)[...])
        case .regex(let expression):
            guard let regex = try? Regex(expression) else { return false }
            return (try? regex.wholeMatch(in: name)) != nil
        }
    }

    private static let star = UInt8(ascii: "*"), slash = UInt8(ascii: "/"), question = UInt8(ascii: "?")

    private static func glob(_ pattern: ArraySlice<UInt8>, _ name: ArraySlice<UInt8>) -> Bool {
        guard let first = pattern.first else { return name.isEmpty }
        if first == star {
            let rest = pattern.dropFirst()
            if rest.first == star {
                // `**`, and `**/` which also matches no directory at all.
                var after = rest.dropFirst()
                if after.first == slash, glob(after.dropFirst(), name) { return true }
                after = rest.dropFirst()
                var candidate = name
                while true {
                    if glob(after, candidate) { return true }
                    guard !candidate.isEmpty else { return false }
                    candidate = candidate.dropFirst()
                }
            }
            var candidate = name
            while true {
                if glob(rest, candidate) { return true }
                guard let next = candidate.first, next != slash else { return false }
                candidate = candidate.dropFirst()
            }
        }
        guard let character = name.first else { return false }
        if first == question ? character != slash : first == character {
            return glob(pattern.dropFirst(), name.dropFirst())
        }
        return false
    }
}

public struct PatternError: Error, Sendable, Equatable, CustomStringConvertible {
    public var pattern: String
    public var reason: String

    public var description: String { "pattern '\(pattern)': \(reason)" }
}
