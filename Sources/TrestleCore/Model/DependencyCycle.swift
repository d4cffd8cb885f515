/// A cycle among named nodes and their edges (a stage's jobs and their `needs`, a flow's tasks
/// and their `next`), as the names along it with the first repeated at the end: `a -> b -> a`.
/// Nodes are visited in the order given and a name given twice keeps its first edges; edges to
/// unknown names lead nowhere.
///
/// Depth-first with an explicit stack: a descriptor's 25,000-task `next` chain is one path, which
/// a recursive walk would follow 25,000 frames deep. Each node and edge is visited once.
public enum DependencyCycle {
    public static func find(_ nodes: [(name: String, edges: [String])]) -> [String]? {
        let edges = Dictionary(nodes.map { ($0.name, $0.edges) }, uniquingKeysWith: { first, _ in first })
        var done = Set<String>()
        var path: [(name: String, nextEdge: Int)] = []
        var onPath: [String: Int] = [:]
        for node in nodes where !done.contains(node.name) {
            path.append((node.name, 0))
            onPath[node.name] = 0
            while let last = path.indices.last {
                let name = path[last].name
                let outgoing = edges[name] ?? []
                guard path[last].nextEdge < outgoing.count else {
                    done.insert(name)
                    onPath[name] = nil
                    path.removeLast()
                    continue
                }
                let next = outgoing[path[last].nextEdge]
                path[last].nextEdge += 1
                if let start = onPath[next] {
                    return path[start...].map(\.name) + [next]
                }
                guard !done.contains(next) else { continue }
                onPath[next] = path.count
                path.append((next, 0))
            }
        }
        return nil
    }
}
