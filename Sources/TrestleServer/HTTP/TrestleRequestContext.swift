import Hummingbird
import TrestleCore

/// Per-request state: the API token the request authenticated with, once it has.
public struct TrestleRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var token: APIToken?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        token = nil
    }
}
