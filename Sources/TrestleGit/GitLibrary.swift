import CLibGit2

/// libgit2, initialised once per process.
public enum GitLibrary {
    private static let initialised: Int32 = git_libgit2_init()

    /// The linked libgit2's version, e.g. "1.5.1".
    public static var version: String {
        _ = initialised
        var major: Int32 = 0
        var minor: Int32 = 0
        var revision: Int32 = 0
        git_libgit2_version(&major, &minor, &revision)
        return "\(major).\(minor).\(revision)"
    }
}
