/// A Rill Flow DAG descriptor (seed 002), once parsed and validated: a workflow definition kept in
/// the store. Its tasks become the jobs of one stage; `next` edges become the jobs' `needs`.
public struct FlowDescriptor: Sendable, Hashable, Codable {
    public var version: String?
    public var workspace: String
    public var dagName: String
    public var type: String
    public var tasks: [FlowTaskSpec]

    public init(version: String?, workspace: String, dagName: String, type: String = "flow", tasks: [FlowTaskSpec]) {
        self.version = version
        self.workspace = workspace
        self.dagName = dagName
        self.type = type
        self.tasks = tasks
    }

    /// `workspace:dagName`, as submit.json's `descriptor_id` names it.
    public var id: String { FlowIDs.descriptorID(workspace: workspace, dagName: dagName) }

    public func task(named name: String) -> FlowTaskSpec? { tasks.first { $0.name == name } }

    /// The jobs an execution runs: one stage named after the DAG, a job per task in descriptor order.
    public var stages: [StagePlan] {
        [StagePlan(name: dagName, jobs: tasks.map {
            JobPlan(name: $0.name, kind: $0.category == .pass ? .pass : .function, target: $0.resourceName ?? "")
        })]
    }

    /// Each task needs the tasks whose `next` names it; tolerant tasks may fail without stopping the flow.
    public var rules: JobRules {
        var needs: [String: [String]] = [:]
        for task in tasks {
            for next in task.next { needs[next, default: []].append(task.name) }
        }
        return JobRules(needs: needs, allowedToFail: Set(tasks.filter(\.tolerance).map(\.name)))
    }
}

public enum FlowTaskCategory: String, Sendable, Hashable, Codable, CaseIterable {
    /// Calls `resourceName` over HTTP.
    case function
    /// Succeeds at once; its input becomes its output.
    case pass
}

public enum FlowTaskPattern: String, Sendable, Hashable, Codable, CaseIterable {
    /// The HTTP response is the task's output.
    case sync = "task_sync"
    /// The task waits for a callback (`X-Callback-Url`) or finish.json.
    case async = "task_async"
}

public struct FlowMapping: Sendable, Hashable, Codable {
    public var source: String
    public var target: String

    public init(source: String, target: String) {
        self.source = source
        self.target = target
    }
}

/// Tries after a failure: the n-th retry waits `intervalInSeconds × multiplier^(n-1)`.
public struct FlowRetry: Sendable, Hashable, Codable {
    public var maxRetryTimes: Int
    public var intervalInSeconds: Double
    public var multiplier: Double

    public init(maxRetryTimes: Int, intervalInSeconds: Double = 0, multiplier: Double = 1) {
        self.maxRetryTimes = maxRetryTimes
        self.intervalInSeconds = intervalInSeconds
        self.multiplier = multiplier
    }

    /// The pause before retry `number` (from 1).
    public func delay(beforeRetry number: Int) -> Double {
        intervalInSeconds * pow(multiplier, Double(max(number - 1, 0)))
    }

    private func pow(_ base: Double, _ exponent: Double) -> Double {
        var result = 1.0
        for _ in 0..<Int(exponent) { result *= base }
        return result
    }
}

public struct FlowTaskSpec: Sendable, Hashable, Codable {
    public var name: String
    public var category: FlowTaskCategory
    public var next: [String]
    public var resourceName: String?
    public var pattern: FlowTaskPattern?
    public var inputMappings: [FlowMapping]
    public var outputMappings: [FlowMapping]
    public var tolerance: Bool
    public var retry: FlowRetry?
    /// Seconds one HTTP call (or the wait for an async result) may take.
    public var timeout: Int?

    public init(name: String, category: FlowTaskCategory, next: [String] = [], resourceName: String? = nil,
                pattern: FlowTaskPattern? = nil, inputMappings: [FlowMapping] = [], outputMappings: [FlowMapping] = [],
                tolerance: Bool = false, retry: FlowRetry? = nil, timeout: Int? = nil) {
        self.name = name
        self.category = category
        self.next = next
        self.resourceName = resourceName
        self.pattern = pattern
        self.inputMappings = inputMappings
        self.outputMappings = outputMappings
        self.tolerance = tolerance
        self.retry = retry
        self.timeout = timeout
    }

    enum CodingKeys: String, CodingKey {
        case name, category, next, resourceName, pattern, inputMappings, outputMappings, tolerance, retry, timeout
    }

    /// `next` is written as the descriptor writes it: one comma-separated string (absent when empty).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(category, forKey: .category)
        if !next.isEmpty { try container.encode(next.joined(separator: ","), forKey: .next) }
        try container.encodeIfPresent(resourceName, forKey: .resourceName)
        try container.encodeIfPresent(pattern, forKey: .pattern)
        try container.encode(inputMappings, forKey: .inputMappings)
        try container.encode(outputMappings, forKey: .outputMappings)
        try container.encode(tolerance, forKey: .tolerance)
        try container.encodeIfPresent(retry, forKey: .retry)
        try container.encodeIfPresent(timeout, forKey: .timeout)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        category = try container.decode(FlowTaskCategory.self, forKey: .category)
        next = FlowDescriptorParser.names(try container.decodeIfPresent(String.self, forKey: .next) ?? "")
        resourceName = try container.decodeIfPresent(String.self, forKey: .resourceName)
        pattern = try container.decodeIfPresent(FlowTaskPattern.self, forKey: .pattern)
        inputMappings = try container.decodeIfPresent([FlowMapping].self, forKey: .inputMappings) ?? []
        outputMappings = try container.decodeIfPresent([FlowMapping].self, forKey: .outputMappings) ?? []
        tolerance = try container.decodeIfPresent(Bool.self, forKey: .tolerance) ?? false
        retry = try container.decodeIfPresent(FlowRetry.self, forKey: .retry)
        timeout = try container.decodeIfPresent(Int.self, forKey: .timeout)
    }
}
