import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TrestleServer

/// The reproductions that killed the server with one request each: now refused in Rill Flow's
/// error shape, and the server goes on serving.
@Suite("Hostile descriptors over HTTP: refused in the dialect's shape, the server lives")
struct HostileDescriptorTests {
    @Test func aNonScalarKeyOrBillionLaughsIsA400AndTheServerStillAnswers() async throws {
        try await TestServer.run(configFile: "flow.yaml") { client in
            for (file, expected) in [("hostile/hostile-nonscalar-key.yaml", "a list or mapping is used as a mapping key"),
                                     ("hostile/hostile-billion-laughs.yaml", "once its aliases (*name) are expanded")] {
                let response = try await FlowAPITests.add(client, try TestServer.fixture(file))
                #expect(response.status == .badRequest)
                let body = try response.object()
                #expect(body["ret"] as? Bool == false)
                #expect((body["error"] as? String)?.contains(expected) == true, "\(body)")
            }
            let health = try await client.call(.get, "/healthz", token: nil)
            #expect(health.status == .ok)
        }
    }

    @Test func aDescriptorAtTheBodyLimitIsReadAndOneByteOverIsA413() async throws {
        try await TestServer.run(configFile: "flow.yaml") { client in
            let limit = 1_048_576
            var yaml = "tasks:\n"
            var index = 0
            while yaml.utf8.count < limit - 200 {
                index += 1
                yaml += "- {name: t\(index), category: pass, next: t\(index + 1)}\n"
            }
            yaml += "- {name: t\(index + 1), category: pass}\n"
            yaml += "#" + String(repeating: "x", count: limit - yaml.utf8.count - 2) + "\n"
            #expect(yaml.utf8.count == limit)
            let atLimit = try await FlowAPITests.add(client, yaml)
            #expect(atLimit.status == .ok, "\(atLimit.text.prefix(300))")
            let over = try await FlowAPITests.add(client, yaml + "#")
            #expect(over.status == .contentTooLarge)
            #expect(try over.object()["ret"] as? Bool == false)
        }
    }

    @Test func anAslanCreateBodyOfInvalidUTF8IsA400AndTheServerStillAnswers() async throws {
        try await TestServer.run(configFile: "seeds.yaml") { client in
            let url = try #require(Bundle.module.url(forResource: "hostile/json5-key-invalid-utf8.bin", withExtension: nil,
                                                     subdirectory: "Fixtures"))
            let response = try await client.execute(uri: "/api/aslan/workflow/workflowtask", method: .post,
                                                    headers: [.authorization: "Bearer \(TestServer.triggerToken)",
                                                              .contentType: "application/json"],
                                                    body: ByteBuffer(bytes: try Data(contentsOf: url)))
            #expect(response.status == .badRequest, "\(response.text)")
            #expect(try await client.call(.get, "/healthz", token: nil).status == .ok)
        }
    }
}
