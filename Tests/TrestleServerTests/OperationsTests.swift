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
