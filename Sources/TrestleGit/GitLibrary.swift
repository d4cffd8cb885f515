import CLibGit2

/// libgit2, initialised once per process.
public enum GitLibrary {
    private static let initialised: Int32 = git_libgit2_init()

    static func ensureInitialised() {
        _ = initialised
    }

    /// Bounds connecting to and stalled reads from HTTP(S) remotes, process-wide. Answers false when the
    /// linked libgit2 (before 1.7) has no such option: then only the caller-side wait is bounded.
    @discardableResult
    public static func setServerTimeouts(connect: Duration, read: Duration) -> Bool {
        ensureInitialised()
        func milliseconds(_ duration: Duration) -> Int32 {
            Int32(clamping: duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
        }
        return trestle_set_server_timeouts(milliseconds(connect), milliseconds(read)) == 1
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
