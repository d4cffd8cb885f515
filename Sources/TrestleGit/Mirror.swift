import Foundation
import TrestleCore

/// What `trestle mirror list` shows of a mirror, kept beside it in `trestle-mirror.json`.
public struct MirrorState: Sendable, Codable, Equatable {
    public var lastFetchTime: Int64?
    /// "ok", or the error of the last fetch.
    public var lastResult: String?
    public var refCount: Int
    public var fetchesSinceRepack: Int

    public init(lastFetchTime: Int64? = nil, lastResult: String? = nil, refCount: Int = 0, fetchesSinceRepack: Int = 0) {
        self.lastFetchTime = lastFetchTime
        self.lastResult = lastResult
        self.refCount = refCount
        self.fetchesSinceRepack = fetchesSinceRepack
    }

    enum CodingKeys: String, CodingKey {
        case lastFetchTime = "last_fetch_time"
        case lastResult = "last_result"
        case refCount = "ref_count"
        case fetchesSinceRepack = "fetches_since_repack"
    }
}

/// How a mirror fetches and maintains itself.
public struct MirrorPolicy: Sendable {
    public var fetchTimeout: Duration
    /// Repack into one pack after this many fetches (libgit2 adds a pack per fetch and never gcs).
    public var repackAfterFetches: Int

    public init(fetchTimeout: Duration = .seconds(120), repackAfterFetches: Int = 20) {
        self.fetchTimeout = fetchTimeout
        self.repackAfterFetches = repackAfterFetches
    }
}

/// A bare mirror of one configured repo under `<data dir>/mirrors/<name>.git`.
public final class Mirror: Sendable {
    public let name: String
    public let url: String
    public let repository: GitRepository
    private let credentials: GitCredentials?
    private let policy: MirrorPolicy
    private let fetches = FetchCoalescer()

    public init(name: String, url: String, credentials: GitCredentials?, directory: String, policy: MirrorPolicy) {
        self.name = name
        self.url = url
        self.credentials = credentials
        self.policy = policy
        repository = GitRepository(path: "\(directory)/\(name).git", createBare: true)
    }

    public var path: String { repository.path }

    /// The URL with any user and password removed, for messages and logs.
    public var redactedURL: String { Self.redact(url) }

    /// Fetches from the remote; callers that ask while a fetch runs share its outcome.
    @discardableResult
    public func sync(now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }) async throws -> FetchOutcome {
        try await fetches.run { [self] in
            try await repository.run { [self] handle in
                var state = readState()
                do {
                    try handle.configureOrigin(url: url)
                    let outcome = try handle.fetchOrigin(timeout: policy.fetchTimeout, credentials: credentials,
                                                         redactedURL: redactedURL)
                    state.fetchesSinceRepack += 1
                    if state.fetchesSinceRepack >= policy.repackAfterFetches {
                        try handle.repack()
                        state.fetchesSinceRepack = 0
                    }
                    state.lastFetchTime = now()
                    state.lastResult = "ok"
                    state.refCount = outcome.refCount
                    writeState(state)
                    return outcome
                } catch {
                    state.lastFetchTime = now()
                    state.lastResult = "\(error)"
                    writeState(state)
                    throw MirrorError(repo: name, url: redactedURL, underlying: "\(error)")
                }
            }
        }
    }

    /// A full or abbreviated commit id; an unknown one triggers one fetch and a retry.
    public func resolve(_ prefix: CommitPrefix, fetchIfUnknown: Bool = true) async throws -> CommitID {
        try await resolving(fetchIfUnknown: fetchIfUnknown) { try $0.resolveCommit(prefix: prefix) }
    }

    /// A branch, tag or `merge-requests/<iid>/head`; an unknown one triggers one fetch and a retry.
    public func resolve(name ref: String, fetchIfUnknown: Bool = true) async throws -> CommitID {
        try await resolving(fetchIfUnknown: fetchIfUnknown) { try $0.resolveCommit(name: ref) }
    }

    private func resolving(fetchIfUnknown: Bool,
                           _ lookup: @escaping @Sendable (RepositoryHandle) throws -> CommitID) async throws -> CommitID {
        do {
            return try await repository.run(lookup)
        } catch ResolveError.notFound(_) where fetchIfUnknown {
            try await sync()
            return try await repository.run(lookup)
        }
    }

    public func readState() -> MirrorState {
        guard let data = FileManager.default.contents(atPath: statePath),
              let state = try? JSONDecoder().decode(MirrorState.self, from: data) else { return MirrorState() }
        return state
    }

    private var statePath: String { "\(path)/trestle-mirror.json" }

    private func writeState(_ state: MirrorState) {
        guard let data = try? JSONEncoder().encode(state) else { return }
        try? data.write(to: URL(fileURLWithPath: statePath), options: .atomic)
    }

    static func redact(_ url: String) -> String {
        guard let scheme = url.range(of: "://"), let at = url[scheme.upperBound...].firstIndex(of: "@") else { return url }
        let slash = url[scheme.upperBound...].firstIndex(of: "/") ?? url.endIndex
        guard at < slash else { return url }
        return String(url[..<scheme.upperBound]) + String(url[url.index(after: at)...])
    }
}

public struct MirrorError: Error, Sendable, CustomStringConvertible {
    public var repo: String
    public var url: String
    public var underlying: String

    public var description: String { "mirror of repo '\(repo)' (\(url)): \(underlying)" }
}

/// Collapses concurrent fetch requests for one mirror into a single fetch.
actor FetchCoalescer {
    private var running: Task<FetchOutcome, any Error>?

    func run(_ fetch: @escaping @Sendable () async throws -> FetchOutcome) async throws -> FetchOutcome {
        if let running { return try await running.value }
        let task = Task { try await fetch() }
        running = task
        defer { running = nil }
        return try await task.value
    }
}
