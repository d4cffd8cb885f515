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
        if let cycle = DependencyCycle.find(tasks.map { ($0.name, $0.next) }) {
            problems.append("the tasks form a cycle: \(cycle.joined(separator: " -> "))")
        }
        return problems
    }
}
