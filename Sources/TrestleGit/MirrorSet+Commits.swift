import Foundation
import TrestleCore

/// What the mirrors, as fetched so far, say a commit id prefix names.
public enum MirrorLookup: Sendable, Equatable {
    /// One commit, held by these repos' mirrors.
    case commit(CommitID, repos: [String])
    /// More than one commit starts with the prefix, in one mirror or across mirrors.
    case ambiguous(String)
    /// No mirror holds a commit starting with the prefix (or none has been fetched yet).
    case unknown
}

public struct MirrorLookupResult: Sendable {
    public var lookup: MirrorLookup
    /// Mirrors that could not be read, each with why.
    public var failures: [String]
}

/// Why the commits of a task could not be resolved from its branches and merge requests.
public enum TaskCommitResolutionError: Error, Sendable, Equatable {
    /// A branch or merge request that the freshly fetched mirror does not have.
    case unknownRefs([String])
    /// A mirror could not be fetched, so the current commit of a ref is unknown.
    case fetchFailed(String)
}

extension MirrorSet {
    /// Resolves a prefix against the commits reachable in every mirror already on disk, from each
    /// mirror's in-memory index, without fetching: status queries must stay fast and must not depend
    /// on the remote. A mirror that cannot be read is reported in `failures` and otherwise skipped.
    public func lookup(_ prefix: CommitPrefix) async -> MirrorLookupResult {
        var found: [(commit: CommitID, repo: String)] = []
        var failures: [String] = []
        for mirror in all {
            do {
                switch try await mirror.indexedLookup(prefix) {
                case .none:
                    continue
                case .commit(let commit):
                    found.append((commit, mirror.name))
                case .ambiguous(let count):
                    return MirrorLookupResult(lookup: .ambiguous("commit id '\(prefix.hex)' is ambiguous in repo '\(mirror.name)': \(count) or more commits or tags start with it; give more characters"), failures: failures)
                }
            } catch {
                failures.append("repo '\(mirror.name)': \(error)")
            }
        }
        guard let first = found.first else { return MirrorLookupResult(lookup: .unknown, failures: failures) }
        guard found.contains(where: { $0.commit != first.commit }) else {
            return MirrorLookupResult(lookup: .commit(first.commit, repos: found.map(\.repo)), failures: failures)
        }
        let names = found.map { "\($0.commit.hex) in '\($0.repo)'" }.joined(separator: "; ")
        return MirrorLookupResult(
            lookup: .ambiguous("commit id '\(prefix.hex)' names different commits: \(names); give more characters"),
            failures: failures)
    }

    /// Fills in the commit of every repo given by branch or merge request alone, from a fresh
    /// fetch of its mirror: a task built "from main" builds main as the remote has it now.
    /// Repos given with a commit keep it. Every unknown ref is reported at once, each by its field path.
    public func resolveCommits(of arguments: TaskArguments) async throws(TaskCommitResolutionError) -> TaskArguments {
        let pending = arguments.targets.enumerated().flatMap { targetIndex, target in
            target.build.repos.enumerated().compactMap { repoIndex, repo in
                repo.commitID == nil && mirrors[repo.repoName] != nil ? (targetIndex, repoIndex, repo) : nil
            }
        }
        guard !pending.isEmpty else { return arguments }
        let repoNames = Set(pending.map(\.2.repoName)).sorted()
        var fetchFailures: [String] = []
        await withTaskGroup(of: String?.self) { group in
            for name in repoNames {
                guard let mirror = mirrors[name] else { continue }
                group.addTask {
                    do {
                        try await mirror.sync()
                        return nil
                    } catch {
                        return "\(error)"
                    }
                }
            }
            for await failure in group {
                if let failure { fetchFailures.append(failure) }
            }
        }
        guard fetchFailures.isEmpty else { throw .fetchFailed(fetchFailures.sorted().joined(separator: "; ")) }

        var resolved = arguments
        var unknown: [String] = []
        for (targetIndex, repoIndex, repo) in pending {
            let path = "targets[\(targetIndex)].build.repos[\(repoIndex)]"
            guard let mirror = mirrors[repo.repoName] else { continue }
            do {
                let commit = try await mirror.resolve(name: repo.ref, fetchIfUnknown: false)
                resolved.targets[targetIndex].build.repos[repoIndex].commitID = commit
            } catch let error as ResolveError {
                if case .notFound = error {
                    unknown.append("\(path): \(repo.refDescription) is not in repo '\(repo.repoName)' (\(mirror.redactedURL), fetched just now)")
                } else {
                    unknown.append("\(path): \(repo.refDescription) of repo '\(repo.repoName)': \(error)")
                }
            } catch {
                unknown.append("\(path): \(repo.refDescription) of repo '\(repo.repoName)': \(error)")
            }
        }
        guard unknown.isEmpty else { throw .unknownRefs(unknown) }
        return resolved
    }

    /// The commits among `candidates` that descend from `commit` in the named repos' mirrors.
    /// Candidates a mirror does not hold are skipped; the commit itself is not its own descendant.
    public func descendants(of commit: CommitID, among candidates: [CommitID], inRepos repos: [String]) async -> [CommitID] {
        var found = Set<CommitID>()
        for name in repos {
            guard let mirror = mirrors[name] else { continue }
            let others = candidates.filter { $0 != commit && !found.contains($0) }
            let descending = (try? await mirror.repository.run { handle in
                others.filter { (try? handle.isAncestor(commit, of: $0)) == true }
            }) ?? []
            found.formUnion(descending)
        }
        return candidates.filter { found.contains($0) }
    }
}

extension MirrorSet {
    /// Whether `commit` is on `ref` (`refs/heads/<branch>` or `refs/tags/<tag>`) of a repo's mirror:
    /// the ref's commit or one of its ancestors. False when the mirror, the ref or the commit is unknown.
    public func isCommit(_ commit: CommitID, on ref: String, inRepo name: String) async -> Bool {
        guard let mirror = mirrors[name], mirror.isPresent else { return false }
        return (try? await mirror.repository.run { handle in
            let head = try handle.resolveCommit(name: ref)
            return try handle.isAncestor(commit, of: head)
        }) ?? false
    }
}

extension Mirror {
    /// Whether the mirror has been created on disk: lookups never create one.
    public var isPresent: Bool { FileManager.default.fileExists(atPath: path + "/HEAD") }
}
