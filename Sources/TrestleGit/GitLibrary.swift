import CLibGit2

/// libgit2, initialised once per process.
public enum GitLibrary {
    private static let initialised: Int32 = git_libgit2_init()

    static func ensureInitialised() {
        _ = initialised
    }

    /// The linked libgit2's version, e.g. "1.5.1".
    public static var version: String {
        ensureInitialised()
        var major: Int32 = 0
        var minor: Int32 = 0
        var revision: Int32 = 0
        git_libgit2_version(&major, &minor, &revision)
        return "\(major).\(minor).\(revision)"
    }
}
