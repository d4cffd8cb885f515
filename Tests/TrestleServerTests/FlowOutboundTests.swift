import Foundation
import HummingbirdTesting
import Synchronization
import Testing

/// A descriptor's `resourceName` and a submit's `callback` are URLs a caller chose: Trestle calls
/// only what `flows.allowed_urls` allows, never a metadata address, and follows no redirect.
@Suite("Flow outbound calls: only where the admin allows")
struct FlowOutboundTests {
    static func failedTask(_ resource: String) async throws -> (error: String, calls: [String]) {
        let outcome = Mutex<(String, [String])>(("", []))
        try await FlowAPITests.run { client, functions, base in
            try await FlowAPITests.add(client, """
                workspace: ws
                dagName: outbound
                tasks:
                  - { name: call, category: function, resourceName: "\(resource.replacingOccurrences(of: "BASE", with: base))" }
                """)
            let executionID = try await FlowAPITests.submit(client, "ws:outbound")
            let done = try await FlowAPITests.poll(client, executionID)
            #expect(done["dag_status"] as? String == "FAILED", "\(done)")
            outcome.withLock { $0 = (FlowAPITests.task(done, "call")["error"] as? String ?? "", functions.calls.withLock { $0 }) }
        }
        return outcome.withLock { (error: $0.0, calls: $0.1) }
    }

    @Test func aFunctionURLNoPatternAllowsFailsItsTaskNamingTheURLAndTheSetting() async throws {
        let (error, _) = try await Self.failedTask("http://functions.invalid:8081/run.json")
        #expect(error == "refused outbound call: http://functions.invalid:8081/run.json matches no pattern of flows.allowed_urls;"
            + " the admin may add one, e.g. \"http://functions.invalid/*\"")
    }

    @Test func theCloudMetadataAddressIsRefusedEvenBeforeAnyPattern() async throws {
        let (error, _) = try await Self.failedTask("http://169.254.169.254/latest/meta-data/")
        #expect(error.contains("169.254.169.254:80/latest/meta-data/ is a link-local or cloud metadata address"), "\(error)")
    }

    @Test func userinfoCannotDisguiseAnotherHostAsAnAllowedOne() async throws {
        let (error, _) = try await Self.failedTask("http://127.0.0.1:80@functions.invalid/x.json")
        #expect(error.contains("matches no pattern of flows.allowed_urls") || error.contains("without credentials"), "\(error)")
    }

    @Test func aRedirectIsNotFollowed() async throws {
        let (error, calls) = try await Self.failedTask("BASE/moved.json")
        #expect(error.hasSuffix("/moved.json answered HTTP 302 (redirects are not followed)"), "\(error)")
        #expect(calls == ["moved"])
    }

    @Test func aSubmitCallbackOutsideTheAllowedURLsIsRefusedAtSubmit() async throws {
        try await FlowAPITests.run { client, _, _ in
            try await FlowAPITests.add(client, "workspace: ws\ndagName: cb\ntasks: [{ name: only, category: pass }]")
            let callback = "http://10.0.0.1/hook".addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            let refused = try await client.call(.post, "/flow/submit.json?descriptor_id=ws:cb&callback=\(callback)", json: "{}")
            #expect(refused.status == .badRequest)
            let body = try refused.object()
            #expect(body["ret"] as? Bool == false)
            #expect((body["error"] as? String)?.contains("http://10.0.0.1:80/hook matches no pattern of flows.allowed_urls") == true,
                    "\(body)")
        }
    }
}
