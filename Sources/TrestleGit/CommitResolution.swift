import CLibGit2
import TrestleCore

/// Why a commit could not be resolved.
public enum ResolveError: Error, Sendable, Equatable, CustomStringConvertible {
    case notFound(String)
    /// More than one commit (or tag of a commit) starts with the prefix.
    case ambiguous(String, candidates: Int)
    /// The id names an object that is not a commit and does not peel to one.
    case notACommit(String, type: String)
    case invalidName(String)
    case git(String)

    public var description: String {
        switch self {
        case .notFound(let input):
            "'\(input)' names no commit in this repository"
        case .ambiguous(let input, let count):
            "commit id '\(input)' is ambiguous: \(count) objects start with it; give more characters"
        case .notACommit(let input, let type):
            "'\(input)' is a \(type), not a commit"
        case .invalidName(let input):
            "'\(input)' is not a valid branch, tag or ref name"
        case .git(let message):
            message
        }
    }
}

extension RepositoryHandle {
    /// Resolves a full or abbreviated commit id as `git rev-parse --verify <id>^{commit}` does:
    /// among the objects whose ids start with the prefix, only commits and tags of commits count,
    /// so a prefix shared by one commit and some trees or blobs names that commit.
    public func resolveCommit(prefix: CommitPrefix) throws(ResolveError) -> CommitID {
        let candidates = try objects(withPrefix: prefix.hex)
        switch candidates.count {
        case 0:
            throw .notFound(prefix.hex)
        case 1:
            return try peelToCommit(candidates[0], input: prefix.hex)
        default:
            let committish = candidates.filter { isCommittish($0) }
            guard committish.count == 1 else {
                throw .ambiguous(prefix.hex, candidates: committish.isEmpty ? candidates.count : committish.count)
            }
            return try peelToCommit(committish[0], input: prefix.hex)
        }
    }

    /// Resolves a branch, tag (peeled), `merge-requests/<iid>/head` or full ref name to a commit.
    /// Names are only ever looked up as refs, so a branch named like a hex prefix never shadows an id.
    public func resolveCommit(name: String) throws(ResolveError) -> CommitID {
        let refs = name.hasPrefix("refs/") ? [name] : ["refs/heads/\(name)", "refs/tags/\(name)", "refs/\(name)"]
        for ref in refs where git_reference_name_is_valid_(ref) {
            var oid = git_oid()
            if git_reference_name_to_id(&oid, repo, ref) == 0 {
                return try peelToCommit(oid, input: name)
            }
        }
        if refs.allSatisfy({ !git_reference_name_is_valid_($0) }) {
            throw .invalidName(name)
        }
        throw .notFound(name)
    }

    /// Every object id starting with `hex`, found by descending the prefix one nibble at a time
    /// wherever libgit2 reports ambiguity: a handful of pack-index lookups, never a full scan.
    func objects(withPrefix hex: String) throws(ResolveError) -> [git_oid] {
        var short = git_oid(prefix: hex)
        var found = git_oid()
        let result = git_odb_exists_prefix(&found, odb, &short, hex.utf8.count)
        switch result {
        case 0:
            return [found]
        case GIT_ENOTFOUND.rawValue:
            return []
        case GIT_EAMBIGUOUS.rawValue where hex.utf8.count < 40:
            var all: [git_oid] = []
            for nibble in "0123456789abcdef" {
                all += try objects(withPrefix: hex + String(nibble))
            }
            return all
        default:
            throw .git(GitError.last(result, "look up objects starting with \(hex)").description)
        }
    }

    func objectType(_ oid: git_oid) -> git_object_t {
        var copy = oid
        var size = 0
        var type = GIT_OBJECT_INVALID
        guard git_odb_read_header(&size, &type, odb, &copy) == 0 else { return GIT_OBJECT_INVALID }
        return type
    }

    /// A commit, or a tag that peels to a commit (git's "committish" disambiguation).
    func isCommittish(_ oid: git_oid) -> Bool {
        switch objectType(oid) {
        case GIT_OBJECT_COMMIT: true
        case GIT_OBJECT_TAG: (try? peelToCommit(oid, input: "")) != nil
        default: false
        }
    }

    func peelToCommit(_ oid: git_oid, input: String) throws(ResolveError) -> CommitID {
        let type = objectType(oid)
        if type == GIT_OBJECT_COMMIT { return oid.commitID }
        var copy = oid
        var object: OpaquePointer?
        guard git_object_lookup(&object, repo, &copy, GIT_OBJECT_ANY) == 0 else {
            throw .notFound(input)
        }
        defer { git_object_free(object) }
        var peeled: OpaquePointer?
        guard git_object_peel(&peeled, object, GIT_OBJECT_COMMIT) == 0 else {
            throw .notACommit(input, type: String(cString: git_object_type2string(type)))
        }
        defer { git_object_free(peeled) }
        return git_object_id(peeled).pointee.commitID
    }
}

private func git_reference_name_is_valid_(_ name: String) -> Bool {
    var valid: Int32 = 0
    return git_reference_name_is_valid(&valid, name) == 0 && valid == 1
}
