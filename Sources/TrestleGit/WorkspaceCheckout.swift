import CLibGit2
import Dispatch
import Foundation
import TrestleCore

/// Checks a commit out of a local mirror into a job's workspace: a new repository that borrows
/// the mirror's objects (git alternates) instead of copying or fetching them, with the commit's
/// files written and HEAD detached at it. No network, and no `git` process.
public enum WorkspaceCheckout {
    /// Blocking libgit2 work runs on this queue, never on Swift's cooperative pool.
    private static let queue = DispatchQueue(label: "trestle.git.checkout", attributes: .concurrent)

    public static func checkout(mirror mirrorPath: String, commit: CommitID, into directory: String) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            queue.async {
                continuation.resume(with: Result { try checkoutBlocking(mirror: mirrorPath, commit: commit, into: directory) })
            }
        }
    }

    static func checkoutBlocking(mirror mirrorPath: String, commit: CommitID, into directory: String) throws {
        GitLibrary.ensureInitialised()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var repo: OpaquePointer?
        try GitError.check(git_repository_init(&repo, directory, 0), "create workspace repository \(directory)")
        defer { git_repository_free(repo) }
        let objects = URL(fileURLWithPath: mirrorPath).appendingPathComponent("objects").path
        // On disk for the job's own git commands, and in this handle's object database now.
        let alternates = URL(fileURLWithPath: directory).appendingPathComponent(".git/objects/info/alternates")
        try FileManager.default.createDirectory(at: alternates.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data((objects + "\n").utf8).write(to: alternates)
        var odb: OpaquePointer?
        try GitError.check(git_repository_odb(&odb, repo), "open object database of \(directory)")
        defer { git_odb_free(odb) }
        try GitError.check(git_odb_add_disk_alternate(odb, objects), "borrow objects from mirror \(mirrorPath)")

        var oid = git_oid(commitID: commit)
        var object: OpaquePointer?
        let found = git_object_lookup(&object, repo, &oid, GIT_OBJECT_COMMIT)
        if found == GIT_ENOTFOUND.rawValue {
            throw GitError(operation: "check out \(commit.hex)", code: found, errorClass: 0,
                           message: "commit \(commit.hex) is not in the mirror \(mirrorPath); fetch the mirror and retry")
        }
        try GitError.check(found, "look up commit \(commit.hex)")
        defer { git_object_free(object) }
        var options = git_checkout_options()
        git_checkout_options_init(&options, UInt32(GIT_CHECKOUT_OPTIONS_VERSION))
        options.checkout_strategy = GIT_CHECKOUT_FORCE.rawValue
        try GitError.check(git_checkout_tree(repo, object, &options), "check out \(commit.hex) into \(directory)")
        try GitError.check(git_repository_set_head_detached(repo, &oid), "detach HEAD at \(commit.hex)")
    }
}
