import CLibGit2
import TrestleCore

/// Every commit reachable from a mirror's refs, and its annotated tag objects, as sorted 160-bit
/// keys in memory: status queries resolve prefixes here, without a queue hop or a libgit2 call
/// (libgit2 rescans the pack directory on every miss). Rebuilt after each fetch.
public struct CommitIndex: Sendable {
    struct Key: Comparable, Hashable, Sendable {
        var high: UInt64
        var middle: UInt64
        var low: UInt32

        static func < (lhs: Key, rhs: Key) -> Bool {
            (lhs.high, lhs.middle, lhs.low) < (rhs.high, rhs.middle, rhs.low)
        }

        /// The id whose first nibbles are `hex` and whose remaining nibbles are all `fill`.
        init?(hex: String, fill: UInt8) {
            var high: UInt64 = 0, middle: UInt64 = 0, low: UInt32 = 0
            var position = 0
            var utf8 = hex.utf8.makeIterator()
            while position < 40 {
                let nibble: UInt8
                if let byte = utf8.next() {
                    switch byte {
                    case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = byte - UInt8(ascii: "0")
                    case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = byte - UInt8(ascii: "a") + 10
                    default: return nil
                    }
                } else {
                    nibble = fill
                }
                switch position {
                case 0..<16: high = high << 4 | UInt64(nibble)
                case 16..<32: middle = middle << 4 | UInt64(nibble)
                default: low = low << 4 | UInt32(nibble)
                }
                position += 1
            }
            guard utf8.next() == nil else { return nil }
            self.high = high
            self.middle = middle
            self.low = low
        }

        init(_ id: CommitID) {
            self.init(hex: id.hex, fill: 0)!
        }
    }

    /// Sorted; each commit once.
    private let commits: [Key]
    let commitIDs: [CommitID]
    /// Annotated tag objects, sorted, and the commit each peels to.
    private let tagKeys: [Key]
    private let tagCommits: [CommitID]
    /// The commits the refs pointed at when the index was built: a later build walks only what is new.
    let tips: Set<CommitID>

    public static let empty = CommitIndex(commits: [], tags: [], tips: [])

    init(commits: [CommitID], tags: [(CommitID, CommitID)], tips: Set<CommitID>) {
        self.tips = tips
        let sorted = Set(commits).sorted()
        self.commitIDs = sorted
        self.commits = sorted.map(Key.init)
        var seen = Set<Key>()
        let sortedTags = tags.map { (key: Key($0.0), commit: $0.1) }.filter { seen.insert($0.key).inserted }
            .sorted { $0.key < $1.key }
        tagKeys = sortedTags.map(\.key)
        tagCommits = sortedTags.map(\.commit)
    }

    public var count: Int { commits.count }

    public enum Answer: Sendable, Equatable {
        case commit(CommitID)
        /// How many commits and tags of commits start with the prefix.
        case ambiguous(Int)
        case none
    }

    /// What git answers for `<prefix>^{commit}` among reachable commits and annotated tags.
    public func lookup(_ prefix: CommitPrefix) -> Answer {
        guard let lower = Key(hex: prefix.hex, fill: 0), let upper = Key(hex: prefix.hex, fill: 15) else { return .none }
        let first = Self.lowerBound(commits, lower)
        var end = first
        while end < commits.count && commits[end] <= upper && end - first < 2 { end += 1 }
        let tagFirst = Self.lowerBound(tagKeys, lower)
        var tagEnd = tagFirst
        while tagEnd < tagKeys.count && tagKeys[tagEnd] <= upper && tagEnd - tagFirst < 2 { tagEnd += 1 }
        switch (end - first, tagEnd - tagFirst) {
        case (0, 0): return .none
        case (1, 0): return .commit(commitIDs[first])
        case (0, 1): return .commit(tagCommits[tagFirst])
        case let (commitCount, tagCount): return .ambiguous(commitCount + tagCount)
        }
    }

    private static func lowerBound(_ keys: [Key], _ key: Key) -> Int {
        var low = 0
        var high = keys.count
        while low < high {
            let middle = (low + high) / 2
            if keys[middle] < key { low = middle + 1 } else { high = middle }
        }
        return low
    }
}

extension RepositoryHandle {
    /// Walks every commit reachable from any ref, and peels every annotated tag. Given the index of
    /// an earlier build, walks only the commits that are new since (a fetch adds a few to thousands),
    /// keeping the earlier ones: libgit2 never removes objects, so they still resolve.
    public func buildCommitIndex(updating previous: CommitIndex? = nil) throws(GitError) -> CommitIndex {
        var walk: OpaquePointer?
        try GitError.check(git_revwalk_new(&walk, repo), "start a walk of every ref")
        defer { git_revwalk_free(walk) }
        var commits: [CommitID] = previous?.commitIDs ?? []
        for tip in previous?.tips ?? [] {
            var oid = git_oid(commitID: tip)
            _ = git_revwalk_hide(walk, &oid)
        }
        if git_revwalk_push_glob(walk, "refs/*") == 0 {
            var oid = git_oid()
            while git_revwalk_next(&oid, walk) == 0 {
                commits.append(oid.commitID)
            }
        }
        var tags: [(CommitID, CommitID)] = []
        var tips = Set<CommitID>()
        var names = git_strarray()
        try GitError.check(git_reference_list(&names, repo), "list refs")
        defer { git_strarray_dispose(&names) }
        for index in 0..<names.count {
            guard let name = names.strings[index].map({ String(cString: $0) }) else { continue }
            var oid = git_oid()
            guard git_reference_name_to_id(&oid, repo, name) == 0 else { continue }
            if let tip = try? peelToCommit(oid, input: name) { tips.insert(tip) }
            guard name.hasPrefix("refs/tags/") else { continue }
            // A tag of a tag counts at every level, as in git's disambiguation.
            while objectType(oid) == GIT_OBJECT_TAG, let commit = try? peelToCommit(oid, input: name) {
                tags.append((oid.commitID, commit))
                var tag: OpaquePointer?
                guard git_tag_lookup(&tag, repo, &oid) == 0 else { break }
                oid = git_tag_target_id(tag).pointee
                git_tag_free(tag)
            }
        }
        return CommitIndex(commits: commits, tags: tags, tips: tips)
    }
}
