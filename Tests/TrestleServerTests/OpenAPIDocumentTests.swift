import Foundation
import Logging
import Testing
import TrestleCore
import TrestleGit
import TrestleRunner
import TrestleSQLite
import TrestleStore
@testable import TrestleServer
import Yams

/// The OpenAPI document served at /openapi.yaml lists exactly the routes the server has.
@Suite struct OpenAPIDocumentTests {
    /// "METHOD /path/{param}" for every operation of the document.
    private static func documentedOperations(_ yaml: String) throws -> Set<String> {
        let document = try #require(try Yams.load(yaml: yaml) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        var operations = Set<String>()
        for (path, item) in paths {
            for method in item.keys where method != "parameters" {
                operations.insert("\(method.uppercased()) \(path)")
            }
        }
        return operations
    }

    /// "METHOD /path/{param}" for every route the router registers (`:param` in Hummingbird's spelling).
    private static func registeredOperations() async throws -> Set<String> {
        let dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("trestle-openapi-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dataDir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dataDir) }
        let config = try TestServer.config(opsSHA256: TestServer.opsTokenSHA256).overriding(listen: nil, dataDir: dataDir.path)
        let store = try SQLiteTaskStore(path: config.storage.sqlitePath)
        let mirrors = MirrorSet(config: config)
        let scheduler = try Scheduler(config: config, store: store, mirrors: mirrors, logger: Logger(label: "test"), now: { 0 })
        let router = buildRouter(config: config, store: store, mirrors: mirrors, inbox: DeliveryInbox(store: store),
                                 links: LinkBase(server: config.server), scheduler: scheduler, flowResults: FlowResults(),
                                 projects: GitLabProjects(config: config),
                                 sessions: DashboardSessions(secret: nil, externalURL: config.server.externalURL),
                                 templates: try DashboardTemplates(), processorRunning: { true }, now: { 0 })
        try await store.close()
        // The dashboard's pages (`/`, `/ui/…`) are HTML for browsers, not API operations.
        return Set(router.routes.compactMap { route in
            let path = "\(route.path)".split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }
            let joined = "/" + path.joined(separator: "/")
            guard !DashboardRoutes.isDashboardPath(joined) else { return nil }
            return "\(route.method) " + joined
        })
    }

    @Test func everyRouteTheServerHasIsInTheDocumentAndNothingElse() async throws {
        let documented = try Self.documentedOperations(String(decoding: OpenAPIRoute.documentBytes, as: UTF8.self))
        let registered = try await Self.registeredOperations()
        #expect(registered.subtracting(documented).sorted() == [], "routes missing from Sources/TrestleServer/OpenAPI/openapi.yaml")
        #expect(documented.subtracting(registered).sorted() == [], "documented operations the server does not have")
        #expect(registered.contains("GET /openapi.yaml"))
    }

    @Test func theDocumentIsServedWithoutATokenAsYAML() async throws {
        try await TestServer.run { client in
            let response = try await client.call(.get, "/openapi.yaml", token: nil)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/yaml")
            let document = try #require(try Yams.load(yaml: response.text) as? [String: Any])
            #expect(document["openapi"] as? String == "3.0.3")
        }
    }
}
