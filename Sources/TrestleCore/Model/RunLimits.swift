/// How many tasks may run at once: in all, and per workflow.
public struct RunLimits: Sendable, Hashable {
    public var total: Int
    public var perWorkflow: [String: Int]

    public init(total: Int, perWorkflow: [String: Int] = [:]) {
        self.total = total
        self.perWorkflow = perWorkflow
    }

    public init(_ config: TrestleConfig) {
        var perWorkflow: [String: Int] = [:]
        for workflow in config.workflows {
            if let limit = workflow.concurrency { perWorkflow[workflow.name] = limit }
        }
        self.init(total: config.executor.concurrency, perWorkflow: perWorkflow)
    }
}
