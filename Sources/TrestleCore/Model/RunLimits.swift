/// How many tasks may run at once: in all, per configured workflow, and per flow (a stored
/// Rill Flow descriptor's executions, whose workflows are not in the config).
public struct RunLimits: Sendable, Hashable {
    public var total: Int
    public var perWorkflow: [String: Int]
    /// Workflows of the config; any other workflow is a flow's.
    public var configured: Set<String>
    /// Executions of one flow at once; nil is no limit but the total.
    public var perFlow: Int?

    public init(total: Int, perWorkflow: [String: Int] = [:], configured: Set<String> = [], perFlow: Int? = nil) {
        self.total = total
        self.perWorkflow = perWorkflow
        self.configured = configured
        self.perFlow = perFlow
    }

    public init(_ config: TrestleConfig) {
        var perWorkflow: [String: Int] = [:]
        for workflow in config.workflows {
            if let limit = workflow.concurrency { perWorkflow[workflow.name] = limit }
        }
        self.init(total: config.executor.concurrency, perWorkflow: perWorkflow,
                  configured: Set(config.workflows.map(\.name)), perFlow: config.flows.concurrency)
    }

    /// The most tasks of `workflow` that may run at once, if it has a limit of its own.
    public func limit(for workflow: String) -> Int? {
        perWorkflow[workflow] ?? (configured.contains(workflow) ? nil : perFlow)
    }

    /// Claim admission: whether one more task of `workflow` may start on this executor, given
    /// what runs now: `running` by workflow on every executor sharing the store (a workflow's
    /// limit is the whole cluster's), `mine` on this one (its `total` is its own slots).
    public func admits(_ workflow: String, running: [String: Int], mine: Int) -> Bool {
        guard mine < total else { return false }
        guard let limit = limit(for: workflow) else { return true }
        return running[workflow, default: 0] < limit
    }
}
