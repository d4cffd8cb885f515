/// `${NAME}` and `${NAME:-default}` in config values, read from the environment; `$$` is a literal `$`.
public enum EnvironmentInterpolation {
    public enum Failure: Error, Equatable {
        case unset(String)
        case malformed(String)
    }

    public static func expand(_ text: String, environment: [String: String]) throws(Failure) -> String {
        guard text.contains("$") else { return text }
        var result = ""
        var rest = Substring(text)
        while let dollar = rest.firstIndex(of: "$") {
            result += rest[..<dollar]
            let after = rest[rest.index(after: dollar)...]
            if after.hasPrefix("$") {
                result += "$"
                rest = after.dropFirst()
            } else if after.hasPrefix("{") {
                guard let close = after.firstIndex(of: "}") else { throw .malformed(text) }
                let body = after[after.index(after: after.startIndex)..<close]
                let (name, fallback) = split(body)
                guard isVariableName(name) else { throw .malformed(text) }
                if let value = environment[name], !(fallback != nil && value.isEmpty) {
                    result += value
                } else if let fallback {
                    result += fallback
                } else {
                    throw .unset(name)
                }
                rest = after[after.index(after: close)...]
            } else {
                result += "$"
                rest = after
            }
        }
        return result + rest
    }

    /// The variable name if the whole text is exactly one `${NAME}` reference.
    public static func soleReference(in text: String) -> String? {
        guard text.hasPrefix("${"), text.hasSuffix("}"), text.count > 3 else { return nil }
        let name = String(text.dropFirst(2).dropLast())
        return isVariableName(name) ? name : nil
    }

    private static func split(_ body: Substring) -> (String, String?) {
        guard let range = body.range(of: ":-") else { return (String(body), nil) }
        return (String(body[..<range.lowerBound]), String(body[range.upperBound...]))
    }

    static func isVariableName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || first.properties.isAlphabetic, first.isASCII else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCII && ($0 == "_" || $0.properties.isAlphabetic || ("0"..."9").contains($0)) }
    }
}
