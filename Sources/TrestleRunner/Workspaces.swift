import Foundation
import TrestleCore
import TrestleGit
#if canImport(Glibc)
import Glibc
#endif

/// Job workspaces: `<data dir>/workspaces/<workflow>/<task id>/<attempt>/<job>`, made fresh for each
/// run of a job and removed when it ends (an attempt's own directory, so a restart's jobs never
/// share one with the cancelled attempt's jobs still being stopped). Each repo of a build job's
/// target is checked out at its commit into `<workspace>/<repo name>` from the repo's local mirror.
public struct Workspaces: Sendable {
    public let root: String

    public init(dataDir: String) {
        root = URL(fileURLWithPath: dataDir).appendingPathComponent("workspaces").path
    }

    public func path(workflow: String, taskID: Int64, attempt: Int, job: String) throws -> String {
        try JobDirectory.path(root: root, workflow: workflow, taskID: taskID, attempt: attempt, job: job)
    }

    /// An empty directory at `path`, removing what an earlier run left there.
    func makeFresh(_ path: String) throws {
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// Gives a workspace, and all that was checked out into it, to the user jobs run as. The
    /// checkout is the repo's (untrusted) content, so the walk goes by directory descriptor: each
    /// entry is changed relative to its opened parent without following a link, and only real
    /// directories are opened (`O_NOFOLLOW`), so no link, swapped in or checked out, leads outside.
    func handOver(_ path: String, to runAs: RunAs?) throws {
        guard let runAs else { return }
        let top = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard top >= 0 else { throw RunnerError("cannot open workspace \(path): \(String(cString: strerror(errno)))") }
        guard fchown(top, runAs.uid, runAs.gid) == 0 else {
            close(top)
            throw RunnerError("cannot give \(path) to uid \(runAs.uid): \(String(cString: strerror(errno)))")
        }
        try Self.handOverEntries(of: top, path: path, to: runAs)
    }

    /// Changes every entry of the open directory `descriptor` (which it closes), depth first.
    private static func handOverEntries(of descriptor: Int32, path: String, to runAs: RunAs) throws {
        guard let directory = fdopendir(descriptor) else {
            close(descriptor)
            throw RunnerError("cannot read \(path): \(String(cString: strerror(errno)))")
        }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name == "." || name == ".." { continue }
            guard fchownat(descriptor, name, runAs.uid, runAs.gid, AT_SYMLINK_NOFOLLOW) == 0 else {
                throw RunnerError("cannot give \(path)/\(name) to uid \(runAs.uid): \(String(cString: strerror(errno)))")
            }
            let child = openat(descriptor, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if child >= 0 {
                try handOverEntries(of: child, path: path + "/" + name, to: runAs)
            } else if errno != ENOTDIR && errno != ELOOP {
                throw RunnerError("cannot open \(path)/\(name): \(String(cString: strerror(errno)))")
            }
        }
    }

    func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Checks out each repo of `target` at its commit; answers the first repo's directory.
    func checkOut(_ target: TargetArguments, into workspace: String, mirrors: MirrorSet) async throws -> String? {
        var first: String?
        for repo in target.build.repos {
            guard Names.isValid(repo.repoName) else {
                throw RunnerError("repo name '\(repo.repoName.prefix(80))' is unsafe for a path (\(Names.rule))")
            }
            guard let commit = repo.commitID else {
                throw RunnerError("repo '\(repo.repoName)' of target '\(target.name)' has no resolved commit to check out")
            }
            guard let mirror = mirrors[repo.repoName] else {
                throw RunnerError("repo '\(repo.repoName)' has no mirror; declare it under repos")
            }
            let directory = URL(fileURLWithPath: workspace).appendingPathComponent(repo.repoName).path
            do {
                try await WorkspaceCheckout.checkout(mirror: mirror.path, commit: commit, into: directory)
            } catch let error as GitError where error.isNotFound {
                // The commit may have arrived after the mirror's last fetch.
                _ = try await mirror.sync()
                try await WorkspaceCheckout.checkout(mirror: mirror.path, commit: commit, into: directory)
            }
            first = first ?? directory
        }
        return first
    }
}
