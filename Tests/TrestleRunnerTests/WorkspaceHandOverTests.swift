import Foundation
import Testing
import TrestleCore
@testable import TrestleRunner
#if canImport(Glibc)
import Glibc
#endif

@Suite("Workspace hand-over to the job user")
struct WorkspaceHandOverTests {
    static func owner(_ path: String) -> uid_t {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_uid : 0
    }

    @Test("a checkout's files become the job user's, and a link in it is changed itself, never what it points at")
    func linksAreNotFollowed() throws {
        // Fails rather than skips when not root: `make test` runs as root, as the server does.
        try #require(getuid() == 0, "changing owners needs root: run the tests as root (make test does)")
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("handover-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: base) }
        let outside = base + "/outside"
        let workspace = base + "/workspace"
        try FileManager.default.createDirectory(atPath: outside + "/inner", withIntermediateDirectories: true)
        try "server file".write(toFile: outside + "/inner/file", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: workspace + "/repo/src", withIntermediateDirectories: true)
        try "code".write(toFile: workspace + "/repo/src/main.c", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: workspace + "/repo/escape", withDestinationPath: outside)
        try FileManager.default.createSymbolicLink(atPath: workspace + "/repo/file-link", withDestinationPath: outside + "/inner/file")

        try Workspaces(dataDir: base).handOver(workspace, to: RunAs(uid: 54321, gid: 54321))

        for path in ["", "/repo", "/repo/src", "/repo/src/main.c", "/repo/escape", "/repo/file-link"] {
            #expect(Self.owner(workspace + path) == 54321, "\(path)")
        }
        for path in ["", "/inner", "/inner/file"] {
            #expect(Self.owner(outside + path) == 0, "followed a link to \(outside + path)")
        }
    }
}
