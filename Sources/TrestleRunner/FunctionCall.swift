import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TrestleCore

/// One call of a flow function as Rill Flow's HTTP dispatcher makes it: `POST resourceName` with
/// `Content-Type: application/json` and the task's input as the body. Input keys
/// `query_params_<name>` become query parameters and `request_header_<name>` headers; they are
/// left out of the body. A DAG task's call also carries `name=<task>` in the query and the
/// server's URL in `X-Flow-Server`; an async one `X-Mode: async` and `X-Callback-Url`, which is
/// what Rill Flow's executors look at to answer at once and call back later.
struct FunctionCall: Sendable {
    static let queryPrefix = "query_params_"
    static let headerPrefix = "request_header_"
    static let maxResponseBytes = 4 << 20

    var url: String
    var input: JSONValue
    /// For `task_async`: where the worker reports the result.
    var callbackURL: String?
    /// The DAG task called (nil for the final-result callback, which is no task's call).
    var task: TaskCaller?
    var timeout: Duration
    /// Where calls may go (`flows.allowed_urls`); checked before every call.
    var policy: OutboundPolicy

    /// Who calls: the DAG task's name and the flow server's own URL.
    struct TaskCaller: Sendable {
        var name: String
        var flowServer: String
    }

    init(url: String, input: JSONValue, callbackURL: String? = nil, task: TaskCaller? = nil, timeout: Duration, policy: OutboundPolicy) {
        self.url = url
        self.input = input
        self.callbackURL = callbackURL
        self.task = task
        self.timeout = timeout
        self.policy = policy
    }

    /// The request's URL, headers and body for `input`.
    static func request(url: String, input: JSONValue, callbackURL: String?, task: TaskCaller? = nil) throws(FunctionCallError) -> HTTPClientRequest {
        guard var components = URLComponents(string: url) else { throw FunctionCallError("resourceName '\(url)' is not a URL") }
        var body: [String: JSONValue] = [:]
        var query = components.queryItems ?? []
        var headers: [(String, String)] = []
        for (key, value) in (input.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            if key.hasPrefix(queryPrefix), key.count > queryPrefix.count {
                query.append(URLQueryItem(name: String(key.dropFirst(queryPrefix.count)), value: value.plainText))
            } else if key.hasPrefix(headerPrefix), key.count > headerPrefix.count {
                headers.append((String(key.dropFirst(headerPrefix.count)), value.plainText))
            } else {
                body[key] = value
            }
        }
        if let task, !query.contains(where: { $0.name == "name" }) { query.append(URLQueryItem(name: "name", value: task.name)) }
        components.queryItems = query.isEmpty ? nil : query
        guard let target = components.url?.absoluteString else { throw FunctionCallError("resourceName '\(url)' is not a URL") }
        var request = HTTPClientRequest(url: target)
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.headers.replaceOrAdd(name: "Content-Type", value: "application/json")
        if let task, !task.flowServer.isEmpty { request.headers.replaceOrAdd(name: "X-Flow-Server", value: task.flowServer) }
        if let callbackURL {
            request.headers.replaceOrAdd(name: "X-Mode", value: "async")
            request.headers.replaceOrAdd(name: "X-Callback-Url", value: callbackURL)
        }
        request.body = .bytes(ByteBuffer(bytes: JSONText.data(JSONValue.object(body))))
        return request
    }

    /// The JSON the function answered (an empty body is `{}`); a failure says why.
    func send(client: HTTPClient = OutboundHTTP.client) async -> Result<JSONValue, FunctionCallError> {
        if let refusal = OutboundHTTP.check(url, policy: policy) {
            return .failure(FunctionCallError(refusal.description))
        }
        // The request goes to `url` as checked; messages show it without credentials.
        let shown = URLRedaction.redact(url)
        do {
            let request = try Self.request(url: url, input: input, callbackURL: callbackURL, task: task)
            let response = try await client.execute(request, timeout: .seconds(max(Int64(timeout.components.seconds), 1)))
            guard (200..<300).contains(Int(response.status.code)) else {
                let moved = (300..<400).contains(Int(response.status.code)) ? " (redirects are not followed)" : ""
                return .failure(FunctionCallError("the function at \(shown) answered HTTP \(response.status.code)\(moved)"))
            }
            let body: ByteBuffer
            do {
                body = try await response.body.collect(upTo: Self.maxResponseBytes)
            } catch {
                return .failure(FunctionCallError("the function at \(shown) answered more than \(Self.maxResponseBytes) bytes"))
            }
            guard body.readableBytes > 0 else { return .success(.emptyObject) }
            guard let json = JSONText.parse(Data(body.readableBytesView)) else {
                return .failure(FunctionCallError("the function at \(shown) answered with a body that is not JSON"))
            }
            return .success(json)
        } catch let error as FunctionCallError {
            return .failure(error)
        } catch {
            return .failure(FunctionCallError("calling the function at \(shown) failed: \(error)"))
        }
    }
}

struct FunctionCallError: Error, Sendable, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}
