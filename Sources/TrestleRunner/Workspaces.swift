import Foundation
import TrestleCore
import TrestleGit

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

    /// Gives a workspace, and all that was checked out into it, to the user jobs run as.
    func handOver(_ path: String, to runAs: RunAs?) throws {
        guard let runAs else { return }
        try Self.changeOwner(path, runAs)
        guard let walker = FileManager.default.enumerator(atPath: path) else { return }
        while let relative = walker.nextObject() as? String {
            try Self.changeOwner(path + "/" + relative, runAs)
        }
    }

    private static func changeOwner(_ path: String, _ runAs: RunAs) throws {
        guard lchown(path, runAs.uid, runAs.gid) == 0 else {
            throw RunnerError("cannot give \(path) to uid \(runAs.uid): \(String(cString: strerror(errno)))")
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
