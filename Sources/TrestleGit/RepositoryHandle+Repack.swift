import CLibGit2
import Foundation

extension RepositoryHandle {
    /// Rewrites every object reachable from a ref into one pack and deletes the old packs:
    /// libgit2 adds a pack per fetch and has no gc. Runs on the repository's queue, so no
    /// reader of this handle sees the packs change underneath it.
    func repack() throws(GitError) {
        var builder: OpaquePointer?
        try GitError.check(git_packbuilder_new(&builder, repo), "start repack")
        defer { git_packbuilder_free(builder) }
        var walk: OpaquePointer?
        try GitError.check(git_revwalk_new(&walk, repo), "start repack walk")
        defer { git_revwalk_free(walk) }
        var pushed = false
        var names = git_strarray()
        try GitError.check(git_reference_list(&names, repo), "list refs for repack")
        defer { git_strarray_dispose(&names) }
        for index in 0..<names.count {
            let name = String(cString: names.strings[index]!)
            var oid = git_oid()
            guard git_reference_name_to_id(&oid, repo, name) == 0 else { continue }
            if objectType(oid) == GIT_OBJECT_TAG {
                // Annotated tag objects are not commits: the walk would not carry them.
                try GitError.check(git_packbuilder_insert(builder, &oid, name), "pack tag \(name)")
            }
            if git_revwalk_push_ref(walk, name) == 0 { pushed = true }
        }
        guard pushed else { return }
        try GitError.check(git_packbuilder_insert_walk(builder, walk), "collect objects for repack")
        let packDirectory = "\(String(cString: git_repository_path(repo)))objects/pack"
        try GitError.check(git_packbuilder_write(builder, packDirectory, 0, nil, nil), "write repacked pack")
        let keep = "pack-\(git_packbuilder_hash(builder).pointee.hex)"
        let files = (try? FileManager.default.contentsOfDirectory(atPath: packDirectory)) ?? []
        for file in files where file.hasPrefix("pack-") && !file.hasPrefix(keep) {
            try? FileManager.default.removeItem(atPath: "\(packDirectory)/\(file)")
        }
        try GitError.check(git_odb_refresh(odb), "reload packs after repack")
    }
}
