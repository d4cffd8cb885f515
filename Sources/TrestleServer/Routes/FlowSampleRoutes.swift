import Foundation
import Hummingbird
import TrestleCore

/// Seed 002's sample functions, served as Rill Flow serves them, so the seed's descriptor (whose
/// `resourceName`s are `http://127.0.0.1:8080/flow/sample/…`) runs on `make run` with nothing else
/// started. Open like the health check: they compute on their body and touch no data.
struct FlowSampleRoutes: Sendable {
    static let startPath = "/flow/sample/start_node.json"
    static let endPath = "/flow/sample/end_node.json"

    let server: ServerConfig

    func register(on router: Router<TrestleRequestContext>) {
        router.post(RouterPath(String(Self.startPath.dropFirst()))) { request, _ in
            try await answer(request, FlowSampleFunctions.startNode)
        }
        router.post(RouterPath(String(Self.endPath.dropFirst()))) { request, _ in
            try await answer(request, FlowSampleFunctions.endNode)
        }
    }

    private func answer(_ request: Request, _ function: (JSONValue) -> Result<JSONValue, FlowFailure>) async throws -> Response {
        let body = try await RequestBodyReader.collect(request, server: server)
        guard let input = JSONText.parse(body) else {
            throw APIError.flow(.invalid("the body must be JSON, as a function task's mapped input"))
        }
        switch function(input) {
        case .success(let output): return JSONResponse.make(output)
        case .failure(let failure): throw APIError.flow(failure)
        }
    }
}
