import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// A function server written the way Rill Flow's own executor samples are: it decides from the
/// request whether to run synchronously (answering its result) or asynchronously (answering at
/// once, then posting its raw result plus `result_type` to the `X-Callback-Url`): async only with
/// `X-Mode: async` and a callback URL. Its result is `{"executor_result": value * 2}`.
/// - `/executor.json` succeeds;
/// - `/failing.json` calls back `{"result_type": "FAILED", "error": "no capacity"}`.
final class RillFlowExecutorStandIn: Sendable {
    struct Call: Sendable {
        var path: String
        var name: String?
        var mode: String?
        var flowServer: String?
        var callbackURL: String?
    }

    let calls = Mutex<[Call]>([])
    let callbacksSent = Mutex<[Int]>([])

    private static func json(_ object: [String: Any]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    private func handle(_ request: Request, failing: Bool) async throws -> Response {
        let body = try await request.body.collect(upTo: 1 << 20)
        let input = (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] ?? [:]
        let header = { (name: String) in request.headers[HTTPField.Name(name)!] }
        let call = Call(path: request.uri.path, name: request.uri.queryParameters["name"].map(String.init), mode: header("X-Mode"),
                        flowServer: header("X-Flow-Server"), callbackURL: header("X-Callback-Url"))
        calls.withLock { $0.append(call) }
        var result: [String: Any] = ["executor_result": (input["value"] as? Int ?? 0) * 2]
        if failing { result = ["error": "no capacity"] }
        guard call.mode == "async", let callbackURL = call.callbackURL else { return Self.json(result) }
        result["result_type"] = failing ? "FAILED" : "SUCCESS"
        let payload = (try? JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])) ?? Data()
        Task {
            try? await Task.sleep(for: .milliseconds(100))
            var callback = HTTPClientRequest(url: callbackURL)
            callback.method = .POST
            callback.headers.add(name: "Content-Type", value: "application/json")
            callback.body = .bytes(ByteBuffer(bytes: payload))
            let status = (try? await HTTPClient.shared.execute(callback, timeout: .seconds(10)))?.status.code ?? 0
            self.callbacksSent.withLock { $0.append(Int(status)) }
        }
        return Self.json(["accepted": true])
    }

    func run(_ body: (String) async throws -> Void) async throws {
        let router = Router()
        router.post("executor.json") { request, _ in try await self.handle(request, failing: false) }
        router.post("failing.json") { request, _ in try await self.handle(request, failing: true) }
        try await LoopbackStandIn.serve(router, label: "rill-flow-executor-stand-in", body)
    }
}
