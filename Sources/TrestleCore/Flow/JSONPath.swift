import Foundation

/// The JSONPath subset flow mappings use: `$` followed by member names (`.name` or `['name']`)
/// and list positions (`[0]`), e.g. `$.context.result_number`, `$.input['a b']`, `$.output.items[0]`.
/// Wildcards, filters, slices and `..` are refused when a descriptor is added.
public struct JSONPath: Sendable, Hashable, CustomStringConvertible {
    public enum Segment: Sendable, Hashable {
        case key(String)
        case index(Int)
    }

    public let segments: [Segment]
    public let description: String

    public init(parsing text: String) throws(JSONPathError) {
        var scalars = Substring(text.trimmingCharacters(in: .whitespaces))
        let original = String(scalars)
        guard scalars.first == "$" else { throw JSONPathError(path: original, reason: "must start with '$'") }
        scalars.removeFirst()
        var segments: [Segment] = []
        while let first = scalars.first {
            if first == "." {
                scalars.removeFirst()
                let name = scalars.prefix { $0 != "." && $0 != "[" }
                guard !name.isEmpty else { throw JSONPathError(path: original, reason: "an empty member name after '.'") }
                guard name != "*" else { throw JSONPathError(path: original, reason: "wildcards are not supported") }
                segments.append(.key(String(name)))
                scalars.removeFirst(name.count)
            } else if first == "[" {
                guard let close = scalars.firstIndex(of: "]") else {
                    throw JSONPathError(path: original, reason: "'[' without ']'")
                }
                let inside = scalars[scalars.index(after: scalars.startIndex)..<close]
                if let quote = inside.first, quote == "'" || quote == "\"", inside.count >= 2, inside.last == quote {
                    segments.append(.key(String(inside.dropFirst().dropLast())))
                } else if let index = Int(inside), index >= 0 {
                    segments.append(.index(index))
                } else {
                    throw JSONPathError(path: original, reason: "'[\(inside)]' is not a quoted name or a list position")
                }
                scalars = scalars[scalars.index(after: close)...]
            } else {
                throw JSONPathError(path: original, reason: "expected '.' or '[' at '\(scalars.prefix(10))'")
            }
        }
        self.segments = segments
        self.description = original
    }

    /// The first member name: `context`, `input` or `output` in flow mappings.
    public var root: String? {
        if case .key(let name)? = segments.first { return name }
        return nil
    }

    /// The value at the path; nil when any step is missing.
    public func value(in document: JSONValue) -> JSONValue? {
        var current = document
        for segment in segments {
            switch (segment, current) {
            case (.key(let name), .object(let object)):
                guard let next = object[name] else { return nil }
                current = next
            case (.index(let index), .array(let array)):
                guard array.indices.contains(index) else { return nil }
                current = array[index]
            default:
                return nil
            }
        }
        return current
    }

    /// The document with `value` at the path; missing objects on the way are made. A list
    /// position must exist already or be the list's end (which appends).
    public func setting(_ value: JSONValue, in document: JSONValue) throws(JSONPathError) -> JSONValue {
        try Self.set(value, at: segments[...], in: document, path: description)
    }

    private static func set(_ value: JSONValue, at segments: ArraySlice<Segment>, in document: JSONValue,
                            path: String) throws(JSONPathError) -> JSONValue {
        guard let segment = segments.first else { return value }
        let rest = segments.dropFirst()
        switch (segment, document) {
        case (.key(let name), .object(var object)):
            object[name] = try set(value, at: rest, in: object[name] ?? .emptyObject, path: path)
            return .object(object)
        case (.key(let name), .null):
            return .object([name: try set(value, at: rest, in: .emptyObject, path: path)])
        case (.index(let index), .array(var array)) where index <= array.count:
            let element = try set(value, at: rest, in: index < array.count ? array[index] : .emptyObject, path: path)
            if index < array.count { array[index] = element } else { array.append(element) }
            return .array(array)
        case (.index(let index), _):
            throw JSONPathError(path: path, reason: "no list with a position \(index) to write to")
        case (.key(let name), _):
            throw JSONPathError(path: path, reason: "cannot write member '\(name)' into a value that is not an object")
        }
    }
}

public struct JSONPathError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "JSONPath '\(path)': \(reason)" }
}
