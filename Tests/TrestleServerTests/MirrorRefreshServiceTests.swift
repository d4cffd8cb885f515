import Foundation
import Logging
import Testing
import TrestleCore
import TrestleGit
@testable import TrestleServer

@Suite("Periodic mirror refresh")
struct MirrorRefreshServiceTests {
    @Test("the refresh service fetches every mirror once an interval has passed, and stops when cancelled")
    func refreshesMirrors() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("trestle-refresh-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let remote = root.appendingPathComponent("remote").path
        _ = try ProcessOutput.run("/usr/bin/env", ["git", "init", "-q", "-b", "main", remote])
        _ = try ProcessOutput.run("/usr/bin/env", ["git", "-C", remote, "-c", "user.name=t", "-c", "user.email=t@x",
                                                   "commit", "-q", "--allow-empty", "-m", "first"])
        let yaml = """
            server: { listen: "127.0.0.1:0" }
            auth: { tokens: [] }
            data_dir: \(root.path)/data
            repos:
              - { name: app, url: "file://\(remote)" }
            """
        let config = try ConfigLoader.parse(yaml: yaml, file: "refresh.yaml", environment: [:])
        let mirrors = MirrorSet(config: config)
        let service = MirrorRefreshService(mirrors: mirrors, interval: 1, logger: Logger(label: "test"))
        let running = Task { try await service.run() }
        let mirror = try #require(mirrors["app"])
        // Generous: the first refresh waits one interval, then fetches on a loaded machine.
        let deadline = ContinuousClock.now + .seconds(60)
        while mirror.readState().lastResult != "ok" && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        running.cancel()
        try await running.value
        #expect(mirror.readState().lastResult == "ok")
        #expect(mirror.readState().refCount == 1)
    }
}
