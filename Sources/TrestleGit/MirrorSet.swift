import TrestleCore

/// The mirrors of every configured repo, by repo name, under `<data dir>/mirrors/`.
public final class MirrorSet: Sendable {
    public let mirrors: [String: Mirror]
    public let directory: String
    /// Every mirror, in name order.
    public let all: [Mirror]

    public init(config: TrestleConfig) {
        directory = config.dataDir + "/mirrors"
        let policy = MirrorPolicy(fetchTimeout: .seconds(config.mirrors.fetchTimeout),
                                  repackAfterFetches: config.mirrors.repackAfterFetches)
        GitLibrary.setServerTimeouts(connect: min(policy.fetchTimeout, .seconds(30)), read: policy.fetchTimeout)
        var mirrors: [String: Mirror] = [:]
        for repo in config.repos {
            let credentials: GitCredentials? = repo.token.map { .httpsToken($0.value) }
                ?? repo.sshKey.map { .sshKey(path: $0, passphrase: nil) }
            mirrors[repo.name] = Mirror(name: repo.name, url: repo.url, credentials: credentials,
                                        directory: directory, policy: policy)
        }
        self.mirrors = mirrors
        all = mirrors.keys.sorted().compactMap { mirrors[$0] }
    }

    public subscript(name: String) -> Mirror? { mirrors[name] }
}
