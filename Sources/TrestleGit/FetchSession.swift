import CLibGit2
import Foundation

/// How a mirror authenticates to its remote.
public enum GitCredentials: Sendable, Equatable {
    /// An HTTPS personal, project or deploy token, sent as GitLab's `oauth2` user.
    case httpsToken(String)
    /// An SSH private key file (the public key is expected beside it as `<path>.pub` when present).
    case sshKey(path: String, passphrase: String?)
}

/// State shared with libgit2's C callbacks during one fetch: the deadline and the credentials.
final class FetchSession {
    let deadline: ContinuousClock.Instant
    let credentials: GitCredentials?
    private(set) var credentialAttempts = 0
    private(set) var timedOut = false

    init(deadline: ContinuousClock.Instant, credentials: GitCredentials?) {
        self.deadline = deadline
        self.credentials = credentials
    }

    /// Non-zero aborts the fetch: libgit2 calls the progress callbacks throughout a transfer.
    func checkDeadline() -> Int32 {
        if ContinuousClock.now >= deadline {
            timedOut = true
            return -1
        }
        return 0
    }

    func acquire(_ out: UnsafeMutablePointer<UnsafeMutablePointer<git_credential>?>?, username: UnsafePointer<CChar>?,
                 allowed: UInt32) -> Int32 {
        credentialAttempts += 1
        // libgit2 asks again after a rejected credential; a second ask means the first was refused.
        guard credentialAttempts == 1, let credentials else { return GIT_PASSTHROUGH.rawValue }
        switch credentials {
        case .httpsToken(let token) where allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT.rawValue != 0:
            return git_credential_userpass_plaintext_new(out, "oauth2", token)
        case .sshKey(let path, let passphrase) where allowed & GIT_CREDENTIAL_SSH_KEY.rawValue != 0:
            let user = username.map { String(cString: $0) } ?? "git"
            let publicKey = FileManager.default.fileExists(atPath: path + ".pub") ? path + ".pub" : nil
            return git_credential_ssh_key_new(out, user, publicKey, path, passphrase)
        default:
            return GIT_PASSTHROUGH.rawValue
        }
    }

    /// Fills libgit2's callbacks with trampolines into this session; `payload` must outlive the fetch.
    func install(into callbacks: inout git_remote_callbacks, payload: UnsafeMutableRawPointer) {
        callbacks.payload = payload
        callbacks.credentials = { out, _, username, allowed, payload in
            Unmanaged<FetchSession>.fromOpaque(payload!).takeUnretainedValue().acquire(out, username: username, allowed: allowed)
        }
        callbacks.transfer_progress = { _, payload in
            Unmanaged<FetchSession>.fromOpaque(payload!).takeUnretainedValue().checkDeadline()
        }
        callbacks.sideband_progress = { _, _, payload in
            Unmanaged<FetchSession>.fromOpaque(payload!).takeUnretainedValue().checkDeadline()
        }
        callbacks.update_tips = { _, _, _, payload in
            Unmanaged<FetchSession>.fromOpaque(payload!).takeUnretainedValue().checkDeadline()
        }
    }
}
