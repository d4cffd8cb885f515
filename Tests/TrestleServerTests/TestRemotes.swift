import Foundation
import Testing
import TrestleTestSupport

/// Real git repositories standing in for the remotes of server.yaml, built with the git CLI
/// (tests only) by the git layer's fixture script, once per test process.
struct TestRemotes: Sendable {
    let votingApp: TestRepo
    let dyliu: TestRepo

    static let shared: Result<TestRemotes, any Error> = Result {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("trestle-remotes-\(UUID().uuidString)").path
        return TestRemotes(votingApp: try TestRepo.make(at: "\(root)/voting-app", commits: 6),
                           dyliu: try TestRepo.make(at: "\(root)/dyliu", commits: 5))
    }
}

/// One working repository served to libgit2 over file://.
struct TestRepo: Sendable {
    let path: String

    var url: String { "file://\(path)" }

    /// A repo made by TrestleGitTests/Fixtures/make-repo.sh: branches main and feature, tags, MR 7.
    static func make(at path: String, commits: Int) throws -> TestRepo {
        try run(["bash", script("TrestleGitTests/Fixtures/make-repo.sh"), path, "\(commits)"])
        return TestRepo(path: path)
    }

    /// The full id git gives `revision`.
    func revParse(_ revision: String) throws -> String {
        try Self.run(["git", "-C", path, "rev-parse", "--verify", "\(revision)^{commit}"])
    }

    /// Runs `script` (a file under Tests/) with `arguments` in this repo and returns its output.
    @discardableResult
    func run(script name: String, _ arguments: String...) throws -> String {
        try Self.run(["bash", Self.script(name)] + arguments, in: path)
    }

    private static func script(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(name).path
    }

    /// Runs a command (git, or a fixture script calling git) with a private git identity and config.
    @discardableResult
    static func run(_ command: [String], in directory: String? = nil) throws -> String {
        try FixtureCommand.run(command, in: directory)
    }
}
