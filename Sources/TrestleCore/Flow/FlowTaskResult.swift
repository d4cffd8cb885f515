/// How an async flow task ended, as its worker reported it.
public enum FlowTaskResult: Sendable, Equatable {
    case success(JSONValue)
    case failure(String)
}
