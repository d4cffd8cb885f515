import Foundation
import HummingbirdTesting
import Testing
import TrestleTestSupport

/// A delivery answered 2xx is never dropped: when its processing fails for a passing reason (the
/// remote cannot be fetched for the changed paths), it stays pending, shows its failed tries, and
/// is tried again until it goes through.
@Suite("Deliveries whose processing fails for a passing reason are tried again")
struct DeliveryRetryTests {
    @Test func aMergeRequestWhoseRemoteIsGoneForAWhileIsBuiltOnceItIsBack() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("trestle-retry-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let remote = try TestRepo.make(at: "\(root)/voting-app", commits: 6)
        let head = try remote.revParse("refs/merge-requests/7/head")
        let body = try WebhookReceiverTests.sample("merge-request-open")
            .replacingOccurrences(of: "5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f", with: head)
            .replacingOccurrences(of: "\"iid\": 12", with: "\"iid\": 7")
            .replacingOccurrences(of: "feature/tally", with: "feature")
        try await TestServer.run(remotes: ["voting-app": remote.url]) { client in
            try FileManager.default.moveItem(atPath: remote.path, toPath: "\(root)/away")
            let sent = try await WebhookReceiverTests.send(client, body, event: "Merge Request Hook")
            #expect(sent.status == .ok)
            let id = try WebhookReceiverTests.deliveryID(sent)
            // Pending, with its failed try and the reason shown to the admin.
            var delivery: [String: Any] = [:]
            let deadline = ContinuousClock.now + .seconds(20)
            while (delivery["failed_tries"] as? Int ?? 0) < 1, ContinuousClock.now < deadline {
                delivery = try await client.call(.get, "/api/webhook/deliveries/\(id)", token: TestServer.opsToken).object()
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(delivery["state"] as? String == "pending", "\(delivery)")
            #expect((delivery["last_error"] as? String)?.contains("cannot find the changed paths") == true, "\(delivery)")
            #expect(delivery["next_try_time"] as? Int != nil)
            try FileManager.default.moveItem(atPath: "\(root)/away", toPath: remote.path)
            let processed = try await WebhookReceiverTests.processed(client, id)
            #expect(processed["state"] as? String == "created", "\(processed)")
            #expect(processed["failed_tries"] == nil)
        }
    }
}
