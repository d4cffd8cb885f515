import CLibGit2
import TrestleCore

/// One changed path between two commits; a rename names both sides.
public struct ChangedPath: Sendable, Hashable {
    public enum Change: String, Sendable {
        case added, modified, deleted, renamed, copied, typeChanged = "type_changed"
    }

    public var change: Change
    public var path: String
    /// The path before a rename or copy.
    public var oldPath: String?

    public init(change: Change, path: String, oldPath: String? = nil) {
        self.change = change
        self.path = path
        self.oldPath = oldPath
    }

    /// Every path the change touches: for path filters a rename counts on both sides.
    public var touchedPaths: [String] { [oldPath, path].compactMap { $0 } }
}

extension RepositoryHandle {
    /// Paths changed from `base` to `head` (tree to tree), with renames detected as git does by default.
    /// With no base, every path of `head` counts as added.
    public func changedPaths(from base: CommitID?, to head: CommitID) throws(GitError) -> [ChangedPath] {
        let baseTree = try base.map { commit throws(GitError) in try tree(of: commit) } ?? nil
        defer { git_tree_free(baseTree) }
        let headTree = try tree(of: head)
        defer { git_tree_free(headTree) }
        var diff: OpaquePointer?
        try GitError.check(git_diff_tree_to_tree(&diff, repo, baseTree, headTree, nil),
                           "diff \(base?.short ?? "(empty)")..\(head.short)")
        defer { git_diff_free(diff) }
        var find = git_diff_find_options()
        git_diff_find_options_init(&find, UInt32(GIT_DIFF_FIND_OPTIONS_VERSION))
        find.flags = GIT_DIFF_FIND_RENAMES.rawValue
        try GitError.check(git_diff_find_similar(diff, &find), "detect renames in \(base?.short ?? "(empty)")..\(head.short)")
        return (0..<git_diff_num_deltas(diff)).compactMap { index in
            guard let delta = git_diff_get_delta(diff, index)?.pointee else { return nil }
            let newPath = String(cString: delta.new_file.path)
            let oldPath = String(cString: delta.old_file.path)
            switch delta.status {
            case GIT_DELTA_ADDED: return ChangedPath(change: .added, path: newPath)
            case GIT_DELTA_DELETED: return ChangedPath(change: .deleted, path: oldPath)
            case GIT_DELTA_RENAMED: return ChangedPath(change: .renamed, path: newPath, oldPath: oldPath)
            case GIT_DELTA_COPIED: return ChangedPath(change: .copied, path: newPath, oldPath: oldPath)
            case GIT_DELTA_TYPECHANGE: return ChangedPath(change: .typeChanged, path: newPath)
            default: return ChangedPath(change: .modified, path: newPath)
            }
        }
    }

    /// Whether `ancestor` is `descendant` or one of its ancestors.
    public func isAncestor(_ ancestor: CommitID, of descendant: CommitID) throws(GitError) -> Bool {
        if ancestor == descendant { return true }
        var child = git_oid(commitID: descendant)
        var parent = git_oid(commitID: ancestor)
        let result = git_graph_descendant_of(repo, &child, &parent)
        try GitError.check(result, "check ancestry of \(ancestor.short) and \(descendant.short)")
        return result == 1
    }

    /// The best common ancestor of two commits, or nil when their histories never meet.
    public func mergeBase(_ one: CommitID, _ other: CommitID) throws(GitError) -> CommitID? {
        var base = git_oid()
        var first = git_oid(commitID: one)
        var second = git_oid(commitID: other)
        let result = git_merge_base(&base, repo, &first, &second)
        if result == GIT_ENOTFOUND.rawValue { return nil }
        try GitError.check(result, "find the merge base of \(one.short) and \(other.short)")
        return base.commitID
    }

    private func tree(of commit: CommitID) throws(GitError) -> OpaquePointer? {
        var oid = git_oid(commitID: commit)
        var object: OpaquePointer?
        try GitError.check(git_commit_lookup(&object, repo, &oid), "look up commit \(commit.short)")
        defer { git_commit_free(object) }
        var tree: OpaquePointer?
        try GitError.check(git_commit_tree(&tree, object), "read the tree of \(commit.short)")
        return tree
    }
}
