/// A descriptor as add_descriptor.json stored it.
public struct StoredFlowDescriptor: Sendable, Hashable {
    public var id: String
    public var businessID: String
    public var featureName: String
    public var alias: String
    public var yaml: String
    public var descriptor: FlowDescriptor
    public var updateTime: Int64

    public init(id: String, businessID: String, featureName: String, alias: String, yaml: String,
                descriptor: FlowDescriptor, updateTime: Int64) {
        self.id = id
        self.businessID = businessID
        self.featureName = featureName
        self.alias = alias
        self.yaml = yaml
        self.descriptor = descriptor
        self.updateTime = updateTime
    }
}

/// What a flow execution keeps beside its task: the descriptor it runs (as it was at submit),
/// the flow context, and each DAG task's input and output.
public struct FlowExecution: Sendable, Hashable {
    public var descriptorID: String
    public var descriptor: FlowDescriptor
    public var context: JSONValue
    /// Grows with every context write; a write carrying an older version is dropped.
    public var contextVersion: Int64
    public var callbackURL: String?
    /// How the final-result callback went: nil until sent, then "sent" or "failed: <reason>".
    public var callbackState: String?
    public var values: [String: FlowTaskValues]

    public init(descriptorID: String, descriptor: FlowDescriptor, context: JSONValue, contextVersion: Int64 = 0,
                callbackURL: String? = nil, callbackState: String? = nil, values: [String: FlowTaskValues] = [:]) {
        self.descriptorID = descriptorID
        self.descriptor = descriptor
        self.context = context
        self.contextVersion = contextVersion
        self.callbackURL = callbackURL
        self.callbackState = callbackState
        self.values = values
    }
}

public struct FlowTaskValues: Sendable, Hashable {
    public var input: JSONValue?
    public var output: JSONValue?
    /// Calls made so far (1 + retries).
    public var tries: Int

    public init(input: JSONValue? = nil, output: JSONValue? = nil, tries: Int = 0) {
        self.input = input
        self.output = output
        self.tries = tries
    }
}
