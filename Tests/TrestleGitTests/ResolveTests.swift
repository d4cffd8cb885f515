import Foundation
import Testing
import TrestleCore
@testable import TrestleGit

@Suite("Resolving commit ids and names")
struct ResolveTests {
    @Test("full, 8-character, 4-character and uppercase ids resolve to the commit git names")
    func idsOfEveryLength() async throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        let work = try fixture.makeRepo()
        let repository = GitRepository(path: work)
        let head = try GitFixture.git(work, "rev-parse", "HEAD")
        for input in [head, String(head.prefix(8)), String(head.prefix(12)).uppercased()] {
            let prefix = try CommitPrefix(parsing: input)
            let resolved = try await repository.run { try $0.resolveCommit(prefix: prefix) }
            #expect(resolved.hex == head)
        }
    }

    @Test("every 4-character prefix of every object resolves exactly as git rev-parse --verify <id>^{commit}, in libgit2 and in the in-memory index")
    func agreesWithGitOnEveryShortPrefix() async throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        let work = try fixture.makeRepo(commits: 120)
        try GitFixture.git(work, "gc", "-q")
        let objects = try GitFixture.git(work, "cat-file", "--batch-all-objects", "--batch-check=%(objectname)")
            .split(separator: "\n").map(String.init)
        let prefixes = Set(objects.flatMap { [String($0.prefix(4)), String($0.prefix(5))] })
        let repository = GitRepository(path: work)
        let index = try await repository.run { try $0.buildCommitIndex() }
        #expect(index.count == 121)
        var ambiguousSeen = 0
        for text in prefixes.sorted() {
            let prefix = try CommitPrefix(parsing: text)
            let indexed: String? = switch index.lookup(prefix) {
            case .commit(let commit): commit.hex
            case .ambiguous: "ambiguous"
            case .none: nil
            }
            let ours: String? = try await repository.run { handle in
                do {
                    return try handle.resolveCommit(prefix: prefix).hex
                } catch let error as ResolveError {
                    if case .ambiguous = error { return "ambiguous" }
                    return nil
                } catch {
                    return nil
                }
            }
            if ours == "ambiguous" { ambiguousSeen += 1 }
            let theirs = GitFixture.gitResolve(work, text)
            #expect((ours == "ambiguous" ? nil : ours) == theirs, "prefix \(text)")
            // Where only trees or blobs share a prefix, libgit2 says ambiguous and the index (of commits) says none:
            // git fails on both.
            #expect((indexed == "ambiguous" ? nil : indexed) == theirs, "in-memory index, prefix \(text)")
            if indexed == "ambiguous" { #expect(ours == "ambiguous", "in-memory index, prefix \(text)") }
        }
        #expect(objects.count > 300)
        #expect(ambiguousSeen > 0, "the repo should have ambiguous 4-character prefixes to compare")
    }

    @Test("an unknown id is not found; a too-short or non-hex id never reaches git")
    func unknownAndMalformed() async throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        let repository = GitRepository(path: try fixture.makeRepo(commits: 6))
        let unknown = try CommitPrefix(parsing: "0000000000000000000000000000000000000000")
        await #expect(throws: ResolveError.notFound(unknown.hex)) {
            try await repository.run { try $0.resolveCommit(prefix: unknown) }
        }
        #expect(throws: CommitPrefixError.tooShort("abc")) { try CommitPrefix(parsing: "abc") }
        #expect(throws: CommitPrefixError.notHex("ghijklmn")) { try CommitPrefix(parsing: "ghijklmn") }
    }

    @Test("an ambiguous prefix asks for more characters")
    func ambiguousMessage() {
        let error = ResolveError.ambiguous("abcd", candidates: 2)
        #expect(error.description.contains("ambiguous"))
        #expect(error.description.contains("give more characters"))
    }

    @Test("branches, peeled annotated tags, tags of tags and merge-request refs resolve to commits")
    func names() async throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        let work = try fixture.makeRepo()
        let repository = GitRepository(path: work)
        for name in ["main", "feature", "light-tag", "v1.0", "v1.0-signed", "merge-requests/7/head", "refs/heads/main"] {
            let resolved = try await repository.run { try $0.resolveCommit(name: name) }
            #expect(resolved.hex == GitFixture.gitResolve(work, name), "\(name)")
        }
        await #expect(throws: ResolveError.notFound("no-such-branch")) {
            try await repository.run { try $0.resolveCommit(name: "no-such-branch") }
        }
        await #expect(throws: ResolveError.invalidName("bad..name")) {
            try await repository.run { try $0.resolveCommit(name: "bad..name") }
        }
    }

    @Test("a branch named like a commit's hex prefix never shadows the commit id")
    func branchNamedLikeAnID() async throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        let work = try fixture.makeRepo()
        let first = try GitFixture.git(work, "rev-list", "--max-parents=0", "HEAD")
        let shortID = String(first.prefix(8))
        try GitFixture.git(work, "branch", shortID, "HEAD")
        let repository = GitRepository(path: work)
        let asID = try await repository.run { try $0.resolveCommit(prefix: CommitPrefix(parsing: shortID)) }
        let asName = try await repository.run { try $0.resolveCommit(name: shortID) }
        #expect(asID.hex == first)
        #expect(asName.hex == (try GitFixture.git(work, "rev-parse", "HEAD")))
    }

    @Test("diff reports added, modified, deleted and renamed paths with both sides of a rename")
    func diffWithRenames() async throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        let work = try fixture.makeRepo()
        let base = try #require(CommitID(try GitFixture.git(work, "rev-parse", "main")))
        let head = try #require(CommitID(try GitFixture.git(work, "rev-parse", "feature")))
        let changes = try await GitRepository(path: work).run { try $0.changedPaths(from: base, to: head) }
        #expect(changes.contains(ChangedPath(change: .renamed, path: "vote/renamed.txt", oldPath: "vote/file1.txt")))
        #expect(changes.contains(ChangedPath(change: .added, path: "vote/new.txt")))
        #expect(changes.contains(ChangedPath(change: .deleted, path: "docs/note0.md")))
        #expect(Set(changes.flatMap(\.touchedPaths)) == ["vote/renamed.txt", "vote/file1.txt", "vote/new.txt", "docs/note0.md"])
    }

    @Test("ancestry follows history in one direction only")
    func ancestry() async throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        let work = try fixture.makeRepo()
        let old = try #require(CommitID(try GitFixture.git(work, "rev-parse", "main~5")))
        let tip = try #require(CommitID(try GitFixture.git(work, "rev-parse", "feature")))
        let repository = GitRepository(path: work)
        #expect(try await repository.run { try $0.isAncestor(old, of: tip) })
        #expect(try await !repository.run { try $0.isAncestor(tip, of: old) })
        #expect(try await repository.run { try $0.isAncestor(tip, of: tip) })
    }
}
