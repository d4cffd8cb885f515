import Foundation

/// Reads a Rill Flow YAML descriptor (the body of add_descriptor.json) and checks it: every
/// problem found is reported at once, each naming the task and key it is about. Keys Trestle does
/// not use are ignored, so descriptors written for Rill Flow load unchanged.
public enum FlowDescriptorParser {
    /// `business_id` and `feature_name` fill in `workspace` and `dagName` when the YAML leaves them out.
    /// Task keys at the start of a line mean the text lost its indentation (as seed 002's example
    /// did when it was pasted): say so, since the parser's own message points elsewhere.
    static func flattenedHint(_ yaml: String) -> String {
        let taskKeys = ["name:", "category:", "next:", "resourceName:", "pattern:", "inputMappings:", "outputMappings:",
                        "source:", "target:"]
        let flattened = yaml.split(whereSeparator: \.isNewline).contains { line in taskKeys.contains { line.hasPrefix($0) } }
        return flattened ? "; task keys such as name: start at column 0, so the text has lost its indentation:"
            + " indent each task's keys under its '- ' (samples/rill-flow-sample.yaml is seed 002's example indented)" : ""
    }

    public static func parse(yaml: String, businessID: String, featureName: String) throws(FlowFailure) -> FlowDescriptor {
        let loaded: Any?
        do {
            loaded = try UntrustedYAML.load(yaml)
        } catch let error as YAMLSafetyError {
            throw .invalid("the descriptor is refused: \(error)")
        } catch {
            throw .invalid("the descriptor is not valid YAML: \(Self.yamlReason(error))\(Self.flattenedHint(yaml))")
        }
        guard let root = loaded as? [String: Any] else {
            throw .invalid("the descriptor must be a YAML mapping with workspace, dagName and tasks")
        }
        var problems: [String] = []
        let workspace = scalar(root["workspace"]) ?? businessID
        let dagName = scalar(root["dagName"]) ?? featureName
        for (key, value) in [("workspace", workspace), ("dagName", dagName)] where !Names.isValid(value) {
            problems.append("\(key) '\(value.prefix(40))' must be \(Names.rule)")
        }
        let type = scalar(root["type"]) ?? "flow"
        if type != "flow" { problems.append("type '\(type.prefix(40))' is not supported; write type: flow") }
        var tasks: [FlowTaskSpec] = []
        if let list = root["tasks"] as? [Any], !list.isEmpty {
            for (index, element) in list.enumerated() {
                if let task = parseTask(element, index: index, problems: &problems) { tasks.append(task) }
            }
        } else {
            problems.append("tasks: a descriptor needs a list of at least one task")
        }
        problems += FlowGraph.problems(tasks)
        guard problems.isEmpty else { throw .invalid(problems.joined(separator: "; ")) }
        return FlowDescriptor(version: scalar(root["version"]), workspace: workspace, dagName: dagName, type: type, tasks: tasks)
    }

    /// Task names of a `next` value: comma-separated text (as Rill Flow writes it).
    public static func names(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    private static func parseTask(_ element: Any, index: Int, problems: inout [String]) -> FlowTaskSpec? {
        guard let fields = element as? [String: Any] else {
            problems.append("tasks[\(index)] must be a mapping with name and category")
            return nil
        }
        guard let name = scalar(fields["name"]), Names.isValid(name) else {
            problems.append("tasks[\(index)].name is required and must be \(Names.rule)")
            return nil
        }
        let at = "task '\(name)'"
        var task = FlowTaskSpec(name: name, category: .function)
        switch scalar(fields["category"]) {
        case let text? where FlowTaskCategory(rawValue: text) != nil: task.category = FlowTaskCategory(rawValue: text)!
        case let text?: problems.append("\(at): category '\(text.prefix(40))' is not supported; write function or pass")
        case nil: problems.append("\(at): category is required (function or pass)")
        }
        switch fields["next"] {
        case nil: break
        case let list as [Any]: task.next = list.compactMap(scalar).flatMap(names)
        case let value: task.next = names(scalar(value) ?? "")
        }
        task.resourceName = scalar(fields["resourceName"])
        if task.category == .function {
            let resource = task.resourceName ?? ""
            if URL(string: resource).map({ ["http", "https"].contains($0.scheme ?? "") && $0.host != nil }) != true {
                problems.append("\(at): resourceName must be an http:// or https:// URL of the function to call")
            }
        }
        if let text = scalar(fields["pattern"]) {
            if let pattern = FlowTaskPattern(rawValue: text) {
                task.pattern = pattern
            } else {
                problems.append("\(at): pattern '\(text.prefix(40))' is not supported; write task_sync or task_async")
            }
        } else if task.category == .function {
            task.pattern = .sync
        }
        task.inputMappings = mappings(fields["inputMappings"], key: "inputMappings", at: at, targetRoot: "input",
                                      sourceRoots: ["context", "input"], problems: &problems)
        task.outputMappings = mappings(fields["outputMappings"], key: "outputMappings", at: at, targetRoot: "context",
                                       sourceRoots: ["context", "input", "output"], problems: &problems)
        if let value = fields["tolerance"] {
            if let flag = value as? Bool { task.tolerance = flag } else { problems.append("\(at): tolerance must be true or false") }
        }
        if let value = fields["retry"] { task.retry = retry(value, at: at, problems: &problems) }
        if let value = fields["timeout"] {
            if let seconds = value as? Int, (1...86_400).contains(seconds) {
                task.timeout = seconds
            } else {
                problems.append("\(at): timeout must be a whole number of seconds from 1 to 86400")
            }
        }
        return task
    }

    private static func mappings(_ value: Any?, key: String, at: String, targetRoot: String, sourceRoots: Set<String>,
                                 problems: inout [String]) -> [FlowMapping] {
        guard let value else { return [] }
        guard let list = value as? [Any] else {
            problems.append("\(at): \(key) must be a list of { source, target }")
            return []
        }
        var mappings: [FlowMapping] = []
        for (index, element) in list.enumerated() {
            let place = "\(at): \(key)[\(index)]"
            guard let fields = element as? [String: Any], let source = scalar(fields["source"]),
                  let target = scalar(fields["target"]) else {
                problems.append("\(place) needs a source and a target")
                continue
            }
            for (role, text, roots) in [("source", source, sourceRoots), ("target", target, [targetRoot])] {
                do {
                    let path = try JSONPath(parsing: text)
                    if !roots.contains(path.root ?? "") {
                        problems.append("\(place).\(role) '\(text)' must start with \(roots.sorted().map { "$.\($0)" }.joined(separator: " or "))")
                    } else if role == "target", path.segments.count < 2 {
                        problems.append("\(place).target '\(text)' must name a member, e.g. $.\(targetRoot).value")
                    }
                } catch {
                    problems.append("\(place).\(role): \(error.description)")
                }
            }
            mappings.append(FlowMapping(source: source, target: target))
        }
        return mappings
    }

    private static func retry(_ value: Any, at: String, problems: inout [String]) -> FlowRetry? {
        guard let fields = value as? [String: Any] else {
            problems.append("\(at): retry must be a mapping { maxRetryTimes, intervalInSeconds, multiplier }")
            return nil
        }
        guard let times = fields["maxRetryTimes"] as? Int, (0...20).contains(times) else {
            problems.append("\(at): retry.maxRetryTimes must be a whole number from 0 to 20")
            return nil
        }
        let interval = number(fields["intervalInSeconds"]) ?? 0
        let multiplier = number(fields["multiplier"]) ?? 1
        guard (0...3_600).contains(interval), (1...10).contains(multiplier) else {
            problems.append("\(at): retry.intervalInSeconds must be 0 to 3600 and retry.multiplier 1 to 10")
            return nil
        }
        return FlowRetry(maxRetryTimes: times, intervalInSeconds: interval, multiplier: multiplier)
    }

    private static func number(_ value: Any?) -> Double? {
        switch value {
        case let value as Int: Double(value)
        case let value as Double: value
        default: nil
        }
    }

    /// A scalar as text, trimmed; nil for a list, a mapping or nothing.
    static func scalar(_ value: Any?) -> String? {
        switch value {
        case nil, is [Any], is [String: Any], is NSNull: return nil
        case let value?:
            let text = "\(value)".trimmingCharacters(in: .whitespaces)
            return text.isEmpty ? nil : text
        }
    }

    private static func yamlReason(_ error: any Error) -> String {
        let text = "\(error)".split(whereSeparator: \.isNewline).prefix(2).joined(separator: " ")
        return String(text.prefix(300))
    }
}
