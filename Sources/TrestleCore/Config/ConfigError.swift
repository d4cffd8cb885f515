/// One thing wrong in a config file: where, what, and what to write instead.
public struct ConfigProblem: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    /// Key path such as `workflows[0].targets[1].service_type`; empty for the whole file.
    public var path: String
    public var line: Int?
    public var message: String

    public init(file: String, path: String, line: Int?, message: String) {
        self.file = file
        self.path = path
        self.line = line
        self.message = message
    }

    public var description: String {
        let location = line.map { "\(file):\($0)" } ?? file
        return path.isEmpty ? "\(location): \(message)" : "\(location): \(path): \(message)"
    }
}

public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public var problems: [ConfigProblem]

    public init(problems: [ConfigProblem]) {
        self.problems = problems
    }

    public var description: String {
        let count = problems.count == 1 ? "1 problem" : "\(problems.count) problems"
        return "invalid configuration (\(count)):\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}
