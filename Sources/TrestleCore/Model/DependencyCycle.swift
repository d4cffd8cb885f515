/// A cycle among named nodes and their edges (a stage's jobs and their `needs`, a flow's tasks
/// and their `next`), as the names along it with the first repeated at the end: `a -> b -> a`.
/// Nodes are visited in the order given and a name given twice keeps its first edges; edges to
/// unknown names lead nowhere.
public enum DependencyCycle {
    public static func find(_ nodes: [(name: String, edges: [String])]) -> [String]? {
        let edges = Dictionary(nodes.map { ($0.name, $0.edges) }, uniquingKeysWith: { first, _ in first })
        var done = Set<String>()
        func visit(_ name: String, _ path: [String]) -> [String]? {
            if let start = path.firstIndex(of: name) { return Array(path[start...]) + [name] }
            guard !done.contains(name) else { return nil }
            for next in edges[name] ?? [] {
                if let cycle = visit(next, path + [name]) { return cycle }
            }
            done.insert(name)
            return nil
        }
        for node in nodes {
            if let cycle = visit(node.name, []) { return cycle }
        }
        return nil
    }
}
