/// A flow request a caller got wrong, with a reason naming the input.
public enum FlowFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// Bad parameter or body: a descriptor that does not parse or validate, a context that is not a JSON object.
    case invalid(String)
    /// No such descriptor, execution or task.
    case notFound(String)

    public var description: String {
        switch self {
        case .invalid(let reason), .notFound(let reason): reason
        }
    }
}
