import CLibGit2
import Foundation

/// What one fetch did.
public struct FetchOutcome: Sendable, Equatable {
    public var refCount: Int
    public var durationSeconds: Double
}

extension RepositoryHandle {
    /// The refspecs of a mirror: branches, tags and GitLab's merge-request heads, forced and pruned.
    static let mirrorRefspecs = [
        "+refs/heads/*:refs/heads/*",
        "+refs/tags/*:refs/tags/*",
        "+refs/merge-requests/*/head:refs/merge-requests/*/head",
    ]

    /// Points the `origin` remote at `url` with the mirror refspecs, creating it if needed.
    func configureOrigin(url: String) throws(GitError) {
        var remote: OpaquePointer?
        if git_remote_lookup(&remote, repo, "origin") == 0 {
            defer { git_remote_free(remote) }
            if String(cString: git_remote_url(remote)) != url {
                try GitError.check(git_remote_set_url(repo, "origin", url), "set the URL of origin")
            }
            return
        }
        try GitError.check(git_remote_create_with_fetchspec(&remote, repo, "origin", url, Self.mirrorRefspecs[0]),
                           "create remote origin")
        git_remote_free(remote)
        for refspec in Self.mirrorRefspecs.dropFirst() {
            try GitError.check(git_remote_add_fetch(repo, "origin", refspec), "add refspec \(refspec)")
        }
    }

    /// Fetches every mirror ref from origin with prune; refs deleted upstream disappear.
    func fetchOrigin(timeout: Duration, credentials: GitCredentials?, redactedURL: String) throws(GitError) -> FetchOutcome {
        let started = ContinuousClock.now
        var remote: OpaquePointer?
        try GitError.check(git_remote_lookup(&remote, repo, "origin"), "look up remote origin")
        defer { git_remote_free(remote) }

        let session = FetchSession(deadline: started + timeout, credentials: credentials)
        let payload = Unmanaged.passRetained(session)
        defer { payload.release() }
        var options = git_fetch_options()
        git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION))
        options.prune = GIT_FETCH_PRUNE
        options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE
        session.install(into: &options.callbacks, payload: payload.toOpaque())

        let result = git_remote_fetch(remote, nil, &options, "trestle mirror fetch")
        if result < 0 {
            if session.timedOut {
                throw GitError(operation: "fetch \(redactedURL)", code: result, errorClass: 0,
                               message: "timed out after \(timeout); raise mirrors.fetch_timeout or check the remote")
            }
            var error = GitError.last(result, "fetch \(redactedURL)")
            if session.credentialAttempts > 1 {
                error = GitError(operation: error.operation, code: error.code, errorClass: error.errorClass,
                                 message: error.message + " (the configured credentials were refused)")
            }
            throw error
        }
        return FetchOutcome(refCount: try refCount(), durationSeconds: (ContinuousClock.now - started).seconds)
    }

    func refCount() throws(GitError) -> Int {
        var names = git_strarray()
        try GitError.check(git_reference_list(&names, repo), "list refs")
        defer { git_strarray_dispose(&names) }
        return names.count
    }
}

extension Duration {
    var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}
