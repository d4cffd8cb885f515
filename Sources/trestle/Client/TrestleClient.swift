import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TrestleCore

/// The seed 000 API of a running Trestle, for the client commands.
struct TrestleClient: Sendable {
    static let requestTimeout: TimeAmount = .seconds(30)
    static let maxAnswerBytes = 16 << 20

    let base: String
    let token: String

    /// A task as `GET …workflowTask?commitId=` lists it (seed 000), with the workflow read from its url.
    struct TaskStatus: Codable, Sendable, Equatable {
        var task_id: Int64
        var status: String
        var create_time: Int64
        var start_time: Int64
        var end_time: Int64
        var url: String

        /// The url is `…/pipelines/multi/<workflow>/<task id>`.
        var workflow: String {
            let parts = url.split(separator: "/")
            return parts.count >= 2 ? String(parts[parts.count - 2]) : "?"
        }

        var isFinal: Bool { ["passed", "failed", "timeout", "cancelled"].contains(status) }
    }

    func tasks(commit: String) async throws -> [TaskStatus] {
        let query = TaskLinks.escape(commit)
        return try JSONDecoder().decode([TaskStatus].self, from: try await send(.GET, "/api/directory/workflowTask?commitId=\(query)"))
    }

    func task(workflow: String, id: Int64) async throws -> TaskStatus {
        try JSONDecoder().decode(TaskStatus.self, from: try await send(.GET, taskPath(workflow: workflow, id: id)))
    }

    /// Creates a task from a seed 000 create body; answers its id and url.
    func create(_ body: Data) async throws -> (id: Int64, url: String) {
        struct Created: Decodable {
            var task_id: Int64
            var url: String
        }
        let created = try JSONDecoder().decode(Created.self, from: try await send(.POST, "/api/directory/workflowTask/create", body: body))
        return (created.task_id, created.url)
    }

    func restart(workflow: String, id: Int64) async throws {
        _ = try await send(.POST, taskPath(workflow: workflow, id: id) + "/restart")
    }

    func cancel(workflow: String, id: Int64) async throws {
        _ = try await send(.POST, taskPath(workflow: workflow, id: id) + "/cancel")
    }

    /// Streams a task's logs to `write` as the server sends them (with `follow`, until the jobs end).
    func logs(workflow: String, id: Int64, job: String?, follow: Bool, to write: (ByteBuffer) throws -> Void) async throws {
        var query = follow ? "?follow=true" : "?follow=false"
        if let job { query += "&job=" + TaskLinks.escape(job) }
        let response = try await execute(.GET, taskPath(workflow: workflow, id: id) + "/logs" + query, body: nil,
                                         timeout: follow ? .hours(24) : Self.requestTimeout)
        guard response.status == .ok else {
            throw ClientFailure(Self.reason(response.status, response.headers,
                                            try await response.body.collect(upTo: Self.maxAnswerBytes)))
        }
        for try await buffer in response.body {
            try write(buffer)
        }
    }

    private func taskPath(workflow: String, id: Int64) -> String {
        // Unreserved characters stay as they are: the server matches path parameters as sent.
        "/api/directory/workflowTask/id/\(id)/pipelines/\(TaskLinks.escape(workflow))"
    }

    private func send(_ method: HTTPMethod, _ path: String, body: Data? = nil) async throws -> Data {
        let response = try await execute(method, path, body: body, timeout: Self.requestTimeout)
        let bytes = try await response.body.collect(upTo: Self.maxAnswerBytes)
        guard (200..<300).contains(response.status.code) else {
            throw ClientFailure(Self.reason(response.status, response.headers, bytes), transient: response.status.code >= 500)
        }
        return Data(buffer: bytes)
    }

    private func execute(_ method: HTTPMethod, _ path: String, body: Data?, timeout: TimeAmount) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "X-Trestle-Client", value: "cli")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: body))
        }
        do {
            return try await HTTPClient.shared.execute(request, timeout: timeout)
        } catch {
            throw ClientFailure("cannot reach \(base): \(error); is `trestle serve` running there? (--url or TRESTLE_URL)",
                                transient: true)
        }
    }

    /// The server's reason in one line: its `X-Trestle-Reason`, else the seed body's message.
    static func reason(_ status: HTTPResponseStatus, _ headers: HTTPHeaders, _ body: ByteBuffer) -> String {
        if let reason = headers.first(name: "X-Trestle-Reason"), !reason.isEmpty {
            return "\(status.code): \(reason)"
        }
        if let object = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any] {
            for key in ["description", "reason", "errorMsg", "message"] {
                if let text = object[key] as? String, !text.isEmpty { return "\(status.code): \(text)" }
            }
        }
        return "\(status.code) \(status.reasonPhrase)"
    }
}
