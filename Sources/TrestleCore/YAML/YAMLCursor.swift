import Yams

/// Collects every problem found while reading one file, so a user sees them all at once.
final class ProblemLog {
    let file: String
    private(set) var problems: [ConfigProblem] = []

    init(file: String) {
        self.file = file
    }

    func add(_ path: String, line: Int?, _ message: String) {
        problems.append(ConfigProblem(file: file, path: path, line: line, message: message))
    }
}

/// A YAML node with the key path that leads to it; readers record problems instead of throwing.
struct YAMLCursor {
    let node: Node
    let path: String
    let log: ProblemLog
    let environment: [String: String]

    var line: Int? { node.mark?.line }

    func problem(_ message: String) {
        log.add(path, line: line, message)
    }

    func child(_ node: Node, key: String) -> YAMLCursor {
        YAMLCursor(node: node, path: path.isEmpty ? key : "\(path).\(key)", log: log, environment: environment)
    }

    func element(_ node: Node, index: Int) -> YAMLCursor {
        YAMLCursor(node: node, path: "\(path)[\(index)]", log: log, environment: environment)
    }

    /// The mapping here; any key not in `allowed` is reported as a likely typo.
    func mapping(allowed: [String]) -> YAMLMapping? {
        guard let mapping = node.mapping else {
            problem("expected a mapping; write it as { \(allowed.prefix(3).map { "\($0): ..." }.joined(separator: ", ")) }")
            return nil
        }
        for key in mapping.keys {
            guard let name = key.string else {
                problem("keys must be plain words such as \(allowed.first ?? "name"); quote or rename this key")
                continue
            }
            if !allowed.contains(name) {
                child(key, key: name).problem("unknown key '\(name)'; allowed here: \(allowed.joined(separator: ", "))")
            }
        }
        return YAMLMapping(mapping: mapping, cursor: self)
    }

    /// The scalar here as text, with `${ENV}` references expanded.
    func string() -> String? {
        guard let scalar = node.scalar else {
            problem("expected a single value, not a list or mapping; write key: value")
            return nil
        }
        do {
            return try EnvironmentInterpolation.expand(scalar.string, environment: environment)
        } catch .unset(let name) {
            problem("environment variable \(name) is not set; export \(name) or write ${\(name):-default}")
        } catch {
            problem("malformed ${...} reference in '\(scalar.string)'; write ${NAME} or ${NAME:-default}")
        }
        return nil
    }

    var rawScalar: String? { node.scalar?.string }

    func int(in range: ClosedRange<Int>) -> Int? {
        guard let text = string() else { return nil }
        guard let value = Int(text), range.contains(value) else {
            problem("'\(text)' is not a whole number from \(range.lowerBound) to \(range.upperBound)")
            return nil
        }
        return value
    }

    func bool() -> Bool? {
        guard let text = string() else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            problem("'\(text)' is not true or false")
            return nil
        }
    }

    func list() -> [YAMLCursor] {
        guard let sequence = node.sequence else {
            problem("expected a list; write [a, b] or one '- item' per line")
            return []
        }
        return sequence.enumerated().map { element($0.element, index: $0.offset) }
    }

    func oneOf<Value: RawRepresentable & CaseIterable>(_: Value.Type) -> Value? where Value.RawValue == String {
        guard let text = string() else { return nil }
        guard let value = Value(rawValue: text) else {
            let words = Value.allCases.map(\.rawValue).joined(separator: ", ")
            problem("'\(text)' is not one of \(words); write one of those")
            return nil
        }
        return value
    }
}

struct YAMLMapping {
    let mapping: Node.Mapping
    let cursor: YAMLCursor

    func value(_ key: String) -> YAMLCursor? {
        guard let node = mapping[key], node != Node("~", Tag(.null)), node.null == nil else { return nil }
        return cursor.child(node, key: key)
    }

    func required(_ key: String, hint: String) -> YAMLCursor? {
        guard let value = value(key) else {
            cursor.problem("missing key '\(key)'; write \(key): \(hint)")
            return nil
        }
        return value
    }

    func requiredString(_ key: String, hint: String) -> String? {
        guard let text = required(key, hint: hint)?.string() else { return nil }
        if text.isEmpty {
            cursor.child(mapping[key]!, key: key).problem("must not be empty; write \(key): \(hint)")
            return nil
        }
        return text
    }

    func optionalString(_ key: String) -> String? {
        value(key)?.string()
    }

    func stringList(_ key: String) -> [String] {
        guard let value = value(key) else { return [] }
        return value.list().compactMap { $0.string() }
    }
}
