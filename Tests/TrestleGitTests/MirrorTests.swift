import Foundation
import Testing
import TrestleCore
@testable import TrestleGit

@Suite("Mirrors fetched over git daemon on loopback")
struct MirrorTests {
    static func mirror(_ fixture: GitFixture, url: String, repackAfter: Int = 20) -> Mirror {
        Mirror(name: "app", url: url, credentials: nil, directory: fixture.path("mirrors"),
               policy: MirrorPolicy(fetchTimeout: .seconds(30), repackAfterFetches: repackAfter))
    }

    /// A working repo served by git daemon and a mirror of it, removed afterwards.
    static func withServedRepo(commits: Int = 40, repackAfter: Int = 20,
                               _ body: (_ work: String, _ mirror: Mirror, _ fixture: GitFixture) async throws -> Void) async throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        let work = try fixture.makeRepo(commits: commits)
        let daemon = try GitDaemon(basePath: fixture.root.path)
        defer { daemon.stop() }
        try await body(work, mirror(fixture, url: daemon.url("work"), repackAfter: repackAfter), fixture)
    }

    @Test("a remote that accepts the connection and never answers fails the sync within the timeout and grace")
    func silentRemote() async throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        let listener = try SilentListener()
        defer { listener.close() }
        let mirror = Mirror(name: "app", url: "http://127.0.0.1:\(listener.port)/app.git", credentials: nil,
                            directory: fixture.path("mirrors"),
                            policy: MirrorPolicy(fetchTimeout: .seconds(1), stallGrace: .seconds(1)))
        let started = ContinuousClock.now
        await #expect(throws: MirrorError.self) { try await mirror.sync() }
        // Without the bounded wait this never returns (libgit2 1.5 blocks on the silent socket); the
        // bound is loose because other suites' blocking fixture processes share the cooperative pool.
        #expect(ContinuousClock.now - started < .seconds(60))
        // Lookups use their own handle: they answer while the fetch is still stuck.
        await #expect(throws: ResolveError.self) { try await mirror.resolve(name: "main", fetchIfUnknown: false) }
    }

    @Test("a mirror's in-memory commit index, once in use, takes in the commits each fetch brings")
    func indexFollowsFetches() async throws {
        try await Self.withServedRepo { work, mirror, _ in
            try await mirror.sync()
            let head = try GitFixture.git(work, "rev-parse", "main")
            #expect(try await mirror.indexedLookup(CommitPrefix(parsing: String(head.prefix(8)))) == .commit(CommitID(head)!))
            try GitFixture.git(work, "commit", "-q", "--allow-empty", "-m", "after the index was loaded")
            let newHead = try GitFixture.git(work, "rev-parse", "main")
            let newPrefix = try CommitPrefix(parsing: String(newHead.prefix(8)))
            #expect(mirror.loadedLookup(newPrefix) == CommitIndex.Answer.none)
            try await mirror.sync()
            #expect(mirror.loadedLookup(newPrefix) == .commit(CommitID(newHead)!))
            #expect(mirror.loadedLookup(try CommitPrefix(parsing: String(head.prefix(8)))) == .commit(CommitID(head)!))
        }
    }

    @Test("a first sync creates the bare mirror with branches, tags and merge-request heads")
    func firstSync() async throws {
        try await Self.withServedRepo { work, mirror, fixture in
            let outcome = try await mirror.sync()
            #expect(FileManager.default.fileExists(atPath: fixture.path("mirrors/app.git/HEAD")))
            #expect(try GitFixture.git(mirror.path, "rev-parse", "--is-bare-repository") == "true")
            #expect(outcome.refCount == 6)
            for name in ["main", "v1.0", "merge-requests/7/head"] {
                #expect(try await mirror.resolve(name: name).hex == GitFixture.gitResolve(work, name))
            }
            let state = mirror.readState()
            #expect(state.lastResult == "ok")
            #expect(state.refCount == 6)
        }
    }

    @Test("fetch prunes a deleted branch, tag and merge-request ref, and brings new commits")
    func pruneAndUpdate() async throws {
        try await Self.withServedRepo { work, mirror, fixture in
            try await mirror.sync()

            try GitFixture.git(work, "branch", "-D", "feature")
            try GitFixture.git(work, "tag", "-d", "light-tag")
            try GitFixture.git(work, "update-ref", "-d", "refs/merge-requests/7/head")
            try GitFixture.git(work, "commit", "-q", "--allow-empty", "-m", "new on main")
            let newHead = try GitFixture.git(work, "rev-parse", "HEAD")
            try await mirror.sync()

            let refs = try GitFixture.git(mirror.path, "for-each-ref", "--format=%(refname)").split(separator: "\n")
            #expect(!refs.contains("refs/heads/feature"))
            #expect(!refs.contains("refs/tags/light-tag"))
            #expect(!refs.contains("refs/merge-requests/7/head"))
            #expect(try await mirror.resolve(name: "main").hex == newHead)
            #expect(try await mirror.resolve(CommitPrefix(parsing: String(newHead.prefix(8)))).hex == newHead)
        }
    }

    @Test("an id the mirror does not have yet is fetched once and then found")
    func unknownIDFetchesOnce() async throws {
        try await Self.withServedRepo(commits: 5) { work, mirror, fixture in
            try await mirror.sync()
            try GitFixture.git(work, "commit", "-q", "--allow-empty", "-m", "later")
            let later = try GitFixture.git(work, "rev-parse", "HEAD")
            #expect(try await mirror.resolve(CommitPrefix(parsing: String(later.prefix(8)))).hex == later)
            await #expect(throws: ResolveError.notFound("deadbeef")) {
                try await mirror.resolve(CommitPrefix(parsing: "deadbeef"))
            }
        }
    }

    @Test("concurrent resolves and fetches on one mirror all succeed and agree")
    func concurrentUse() async throws {
        try await Self.withServedRepo(repackAfter: 3) { work, mirror, fixture in
            try await mirror.sync()
            let ids = try GitFixture.git(work, "rev-list", "--all").split(separator: "\n").map(String.init)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for round in 0..<8 {
                    group.addTask { try await mirror.sync() }
                    for id in ids where id.hashValue % 8 == round {
                        group.addTask {
                            let resolved = try await mirror.resolve(CommitPrefix(parsing: String(id.prefix(8))), fetchIfUnknown: false)
                            #expect(resolved.hex == id)
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(mirror.readState().lastResult == "ok")
        }
    }

    @Test("repacking leaves one pack and every ref still resolvable, and git fsck agrees")
    func repack() async throws {
        try await Self.withServedRepo(repackAfter: 2) { work, mirror, fixture in
            try await mirror.sync()
            try GitFixture.git(work, "commit", "-q", "--allow-empty", "-m", "second fetch")
            try await mirror.sync()
            let packs = try FileManager.default.contentsOfDirectory(atPath: mirror.path + "/objects/pack").filter { $0.hasSuffix(".pack") }
            #expect(packs.count == 1)
            #expect(mirror.readState().fetchesSinceRepack == 0)
            try GitFixture.git(mirror.path, "fsck", "--no-dangling")
            for name in ["main", "feature", "v1.0-signed", "merge-requests/7/head"] {
                #expect(try await mirror.resolve(name: name, fetchIfUnknown: false).hex == GitFixture.gitResolve(work, name))
            }
        }
    }

    @Test("a failed fetch names the repo and the URL without credentials and is recorded")
    func failureIsReported() async throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        let mirror = Self.mirror(fixture, url: "http://user:s3cret@127.0.0.1:1/nothing.git")
        do {
            try await mirror.sync()
            Issue.record("fetch from a closed port succeeded")
        } catch {
            let text = "\(error)"
            #expect(text.contains("mirror of repo 'app'"))
            #expect(text.contains("http://127.0.0.1:1/nothing.git"))
            #expect(!text.contains("s3cret"))
        }
        #expect(mirror.readState().lastResult?.contains("s3cret") == false)
        #expect(mirror.readState().lastResult != "ok")
    }
}
