/// The checks of a descriptor's DAG: unique task names, `next` naming known tasks, no cycles.
public enum FlowGraph {
    public static func problems(_ tasks: [FlowTaskSpec]) -> [String] {
        var problems: [String] = []
        var seen = Set<String>()
        for task in tasks where !seen.insert(task.name).inserted {
            problems.append("task name '\(task.name)' is used more than once")
        }
        for task in tasks {
            for next in task.next where !seen.contains(next) {
                problems.append("task '\(task.name)': next names '\(next)', which is not a task of the descriptor")
            }
        }
        if let cycle = cycle(tasks) {
            problems.append("the tasks form a cycle: \(cycle.joined(separator: " -> "))")
        }
        return problems
    }

    /// A cycle of `next` edges as the names along it (first name repeated at the end), if any.
    public static func cycle(_ tasks: [FlowTaskSpec]) -> [String]? {
        var edges: [String: [String]] = [:]
        for task in tasks where edges[task.name] == nil { edges[task.name] = task.next }
        var state: [String: Bool] = [:]  // false: on the current path, true: done
        var path: [String] = []

        func visit(_ name: String) -> [String]? {
            if let done = state[name] {
                guard !done, let start = path.firstIndex(of: name) else { return nil }
                return Array(path[start...]) + [name]
            }
            state[name] = false
            path.append(name)
            for next in edges[name] ?? [] where edges[next] != nil {
                if let found = visit(next) { return found }
            }
            path.removeLast()
            state[name] = true
            return nil
        }

        for task in tasks {
            if let found = visit(task.name) { return found }
        }
        return nil
    }
}
