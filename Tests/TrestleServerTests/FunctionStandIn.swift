import Foundation
import Hummingbird
import Logging
import Synchronization

/// A small HTTP server standing in for Rill Flow function workers:
/// - `/flow/sample/start_node.json` answers `{"result_number": left + right}` (seed 002's start node);
/// - `/flow/sample/end_node.json` answers 200 when `result_number == expect_number`, else 500;
/// - `/flaky.json` answers 500 for its first `flakyFailures` calls, then `{"ok":true}`;
/// - `/broken.json` always answers 500;
/// - `/async.json` accepts the task and keeps its `X-Callback-Url`;
/// - `/echo.json` answers with the query, the `X-Trace` header and the body it got;
/// - `/sink.json` keeps each final-result callback's body;
/// - `/moved.json` answers 302 to `/moved-target.json`, which records the call if it ever comes.
final class FunctionStandIn: Sendable {
    let calls = Mutex<[String]>([])
    let callbackURLs = Mutex<[String]>([])
    /// The bodies of the final-result callbacks, as JSON.
    let sink = Mutex<[Data]>([])
    private let flakyFailures: Mutex<Int>

    init(flakyFailures: Int = 1) {
        self.flakyFailures = Mutex(flakyFailures)
    }

    private static func json(_ object: Any, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    private static func object(_ request: Request) async throws -> [String: Any] {
        let data = try await request.body.collect(upTo: 1 << 20)
        return (try? JSONSerialization.jsonObject(with: Data(data.readableBytesView))) as? [String: Any] ?? [:]
    }

    /// The first of `list` once there is one, or nil after `seconds`.
    static func first<T: Sendable>(of list: borrowing Mutex<[T]>, within seconds: Int = 10) async throws -> T? {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while list.withLock({ $0.isEmpty }), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        return list.withLock { $0.first }
    }

    func run(_ body: (String) async throws -> Void) async throws {
        let router = Router()
        router.post("flow/sample/start_node.json") { request, _ -> Response in
            let input = try await Self.object(request)
            self.calls.withLock { $0.append("start \(request.headers[.contentType] ?? "")") }
            let sum = (input["left"] as? Int ?? 0) + (input["right"] as? Int ?? 0)
            return Self.json(["result_number": sum])
        }
        router.post("flow/sample/end_node.json") { request, _ -> Response in
            let input = try await Self.object(request)
            self.calls.withLock { $0.append("end") }
            let equal = (input["result_number"] as? Int) != nil && input["result_number"] as? Int == input["expect_number"] as? Int
            return Self.json(["checked": equal], status: equal ? .ok : .internalServerError)
        }
        router.post("flaky.json") { _, _ -> Response in
            let fail = self.flakyFailures.withLock { remaining -> Bool in
                guard remaining > 0 else { return false }
                remaining -= 1
                return true
            }
            self.calls.withLock { $0.append("flaky") }
            return fail ? Self.json(["error": "not yet"], status: .internalServerError) : Self.json(["ok": true])
        }
        router.post("broken.json") { _, _ -> Response in
            self.calls.withLock { $0.append("broken") }
            return Self.json(["error": "broken"], status: .internalServerError)
        }
        router.post("async.json") { request, _ -> Response in
            self.callbackURLs.withLock { $0.append(request.headers[.init("X-Callback-Url")!] ?? "") }
            return Self.json(["accepted": true])
        }
        router.post("echo.json") { request, _ -> Response in
            let input = try await Self.object(request)
            return Self.json(["query": request.uri.query ?? "", "trace": request.headers[.init("X-Trace")!] ?? "", "body": input])
        }
        router.post("moved.json") { _, _ -> Response in
            self.calls.withLock { $0.append("moved") }
            return Response(status: .found, headers: [.location: "/moved-target.json"])
        }
        router.post("moved-target.json") { _, _ -> Response in
            self.calls.withLock { $0.append("moved-target") }
            return Self.json(["followed": true])
        }
        router.post("sink.json") { request, _ -> Response in
            let data = Data(try await request.body.collect(upTo: 1 << 20).readableBytesView)
            self.sink.withLock { $0.append(data) }
            return Self.json([:])
        }
        try await LoopbackStandIn.serve(router, label: "function-stand-in", body)
    }
}
