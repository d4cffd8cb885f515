import Foundation
import HummingbirdTesting
import Logging
import Testing
import TrestleCore
@testable import TrestleServer

@Suite("Operations: readiness and structured logs")
struct OperationsTests {
    @Test("/readyz answers 200 with every part ok once the server runs, without a token")
    func readyWhenServing() async throws {
        try await TestServer.run { client in
            let deadline = ContinuousClock.now + .seconds(10)
            var answer = try await client.call(.get, "/readyz", token: nil)
            // The processor and executor start with the server's services, a moment after it listens.
            while answer.status != .ok, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
                answer = try await client.call(.get, "/readyz", token: nil)
            }
            #expect(answer.status == .ok, "\(answer.text)")
            let body = try answer.object()
            #expect(body["status"] as? String == "ready")
            let checks = try #require(body["checks"] as? [String: String])
            #expect(Set(checks.keys).isSuperset(of: ["store", "migrations", "inbox", "processor"]), "\(checks)")
            #expect(checks.values.allSatisfy { $0 == "ok" }, "\(checks)")
        }
    }

    @Test("/readyz answers 503 naming the failing part: a closed inbox, a store that does not answer")
    func notReadyNamesThePart() async throws {
        let dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("trestle-ready-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dataDir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dataDir) }
        let config = try TestServer.config(opsSHA256: TestServer.opsTokenSHA256).overriding(listen: nil, dataDir: dataDir.path)
        let store = try await StoreOpening.open(config.storage, logger: Logger(label: "test"))
        let ready = ReadinessRoute(store: store, parts: [ReadinessRoute.Part(name: "inbox", alive: { false })])
        let closedInbox = await ready.answer()
        #expect(closedInbox.status == .serviceUnavailable)
        try await store.close()
        let closedStore = await ReadinessRoute(store: store, parts: []).answer()
        #expect(closedStore.status == .serviceUnavailable)
    }

    @Test("JSON log lines are one object each, with time, level, message, source and the metadata under their keys")
    func jsonLogLines() throws {
        let output = JSONLogOutput.buffer()
        var logger = Logger(label: "trestle") { JSONLogHandler(label: $0, output: output) }
        logger[metadataKey: "hb.request.id"] = "req-1"
        logger.warning("a task of a lost runner was failed", metadata: ["workflow": "runs", "task": "7", "runner": "host:1:x"])
        logger.debug("below the level: not written")
        let lines = output.written
        #expect(lines.count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(object["level"] as? String == "warning" && object["message"] as? String == "a task of a lost runner was failed")
        #expect(object["workflow"] as? String == "runs" && object["task"] as? String == "7" && object["hb.request.id"] as? String == "req-1")
        #expect(object["label"] as? String == "trestle" && object["source"] != nil)
        let time = try #require(object["time"] as? String)
        #expect(time.hasSuffix("Z") && time.contains("T"), "\(time)")
        #expect(!lines[0].contains("\n"))
    }
}

@Suite("Operations: Prometheus metrics")
struct MetricsTests {
    /// The value of the series `name{labels}` in a scrape (labels in the order the code gives them).
    static func value(_ scrape: String, _ series: String) -> Double {
        for line in scrape.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.split(separator: " ").last ?? "") ?? 0
        }
        return 0
    }

    @Test("/metrics answers the metrics scope (admin included) in Prometheus' text format; requests, tasks and jobs move it")
    func scrapesMove() async throws {
        let control = try ExecutorTests.Control()
        try await ExecutorTests.run(control) { client in
            let refused = try await client.call(.get, "/metrics", token: TestServer.readToken)
            #expect(refused.status == .forbidden, "a read token does not scrape")
            let before = try await client.call(.get, "/metrics", token: TestServer.opsToken)
            #expect(before.status == .ok)
            #expect(before.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            let id = try await ExecutorTests.create(client, target: "echo")
            _ = try await ExecutorTests.wait(client, task: id)
            let after = try await client.call(.get, "/metrics", token: TestServer.opsToken).text
            let ended = #"trestle_tasks_ended_total{workflow="runs",status="passed"}"#
            #expect(Self.value(after, ended) >= Self.value(before.text, ended) + 1, "\(after)")
            let created = #"trestle_tasks_created_total{workflow="runs",trigger="api"}"#
            #expect(Self.value(after, created) >= Self.value(before.text, created) + 1)
            #expect(after.contains("# TYPE trestle_job_duration_seconds histogram"))
            #expect(after.contains("# TYPE trestle_task_queue_wait_seconds histogram"))
            #expect(after.contains(#"hb_requests{http_route="/api/directory/workflowTask/create",http_request_method="POST",http_response_status_code="200"}"#),
                    "requests by route template, method and status")
            #expect(after.contains("# TYPE http_server_request_duration histogram"))
            #expect(after.contains("trestle_webhook_pending_deliveries 0") && after.contains("trestle_webhook_processor_lag_seconds 0"), "\(after)")
        }
    }
}
