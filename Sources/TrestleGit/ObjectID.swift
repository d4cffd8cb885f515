import CLibGit2
import TrestleCore

extension git_oid {
    var hex: String {
        var copy = self
        var buffer = [CChar](repeating: 0, count: 41)
        git_oid_fmt(&buffer, &copy)
        buffer[40] = 0
        return String(cString: buffer)
    }

    var commitID: CommitID { CommitID(hex)! }

    init(commitID: CommitID) {
        self.init()
        git_oid_fromstr(&self, commitID.hex)
    }

    /// The prefix's first `hex.count` nibbles, for the prefix lookups of libgit2.
    init(prefix hex: String) {
        self.init()
        git_oid_fromstrn(&self, hex, hex.utf8.count)
    }
}
