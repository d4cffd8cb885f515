import Foundation
import Synchronization
import TrestleCore

/// What `trestle mirror list` shows of a mirror, kept beside it in `trestle-mirror.json`.
public struct MirrorState: Sendable, Codable, Equatable {
    public var lastFetchTime: Int64?
    /// "ok", or the error of the last fetch.
    public var lastResult: String?
    public var refCount: Int
    public var fetchesSinceRepack: Int
    /// How long the last fetch took, in milliseconds (absent in states written before it was kept).
    public var lastFetchMillis: Int?

    public init(lastFetchTime: Int64? = nil, lastResult: String? = nil, refCount: Int = 0, fetchesSinceRepack: Int = 0,
                lastFetchMillis: Int? = nil) {
        self.lastFetchMillis = lastFetchMillis
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
        case lastFetchMillis = "last_fetch_ms"
    }
}

/// How a mirror fetches and maintains itself.
public struct MirrorPolicy: Sendable {
    public var fetchTimeout: Duration
    /// Repack into one pack after this many fetches (libgit2 adds a pack per fetch and never gcs).
    public var repackAfterFetches: Int
    /// How much longer than `fetchTimeout` a caller waits for a fetch stuck on a silent remote.
    public var stallGrace: Duration

    public init(fetchTimeout: Duration = .seconds(120), repackAfterFetches: Int = 20, stallGrace: Duration = .seconds(5)) {
        self.fetchTimeout = fetchTimeout
        self.repackAfterFetches = repackAfterFetches
        self.stallGrace = stallGrace
    }
}

/// A bare mirror of one configured repo under `<data dir>/mirrors/<name>.git`.
///
/// Two handles on the one directory: `repository` answers lookups, `fetcher` fetches and repacks,
/// each on its own queue, so a slow or stalled fetch never holds up a status query.
public final class Mirror: Sendable {
    public let name: String
    public let url: String
    public let repository: GitRepository
    private let fetcher: GitRepository
    private let credentials: GitCredentials?
    private let policy: MirrorPolicy
    private let fetches = FetchCoalescer()
    /// nil until first loaded from disk; replaced after every fetch.
    private let index = Mutex<CommitIndex?>(nil)

    public init(name: String, url: String, credentials: GitCredentials?, directory: String, policy: MirrorPolicy) {
        self.name = name
        self.url = url
        self.credentials = credentials
        self.policy = policy
        repository = GitRepository(path: "\(directory)/\(name).git")
        fetcher = GitRepository(path: "\(directory)/\(name).git", createBare: true)
    }

    public var path: String { repository.path }

    /// The URL with any user and password removed, for messages and logs.
    public var redactedURL: String { URLRedaction.redact(url) }

    /// Fetches from the remote; callers that ask while a fetch runs share its outcome. A caller waits
    /// at most the fetch timeout and a grace period, even when libgit2 is stuck on a silent remote.
    @discardableResult
    public func sync(now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }) async throws -> FetchOutcome {
        let wait = policy.fetchTimeout + policy.stallGrace
        do {
            return try await fetches.run(waitingAtMost: wait) { [self] in try await fetch(now: now) }
        } catch is FetchWaitExpired {
            throw MirrorError(repo: name, url: redactedURL, underlying: """
                fetch did not finish within \(wait): the remote stopped answering; check it. \
                Later fetches of this repo wait for the stuck one to end
                """)
        }
    }

    private func fetch(now: @escaping @Sendable () -> Int64) async throws -> FetchOutcome {
        try await fetcher.run { [self] handle in
            var state = readState()
            let started = ContinuousClock.now
            let millis = { Int((ContinuousClock.now - started) / .milliseconds(1)) }
            do {
                try handle.configureOrigin(url: url)
                let outcome = try handle.fetchOrigin(timeout: policy.fetchTimeout, credentials: credentials,
                                                     redactedURL: redactedURL)
                // Only a mirror whose index is in use (a server's) keeps it current; the next lookup loads
                // an unused one from disk. A walk of only the new commits, so a fetch stays cheap.
                if let current = index.withLock({ $0 }) {
                    let updated = try handle.buildCommitIndex(updating: current)
                    index.withLock { $0 = updated }
                }
                state.fetchesSinceRepack += 1
                if state.fetchesSinceRepack >= policy.repackAfterFetches {
                    try handle.repack()
                    state.fetchesSinceRepack = 0
                    // The lookup handle still lists the packs the repack removed.
                    repository.reopen()
                }
                state.lastFetchTime = now()
                state.lastFetchMillis = millis()
                state.lastResult = "ok"
                state.refCount = outcome.refCount
                writeState(state)
                return outcome
            } catch {
                state.lastFetchTime = now()
                state.lastFetchMillis = millis()
                state.lastResult = "\(error)"
                writeState(state)
                throw MirrorError(repo: name, url: redactedURL, underlying: "\(error)")
            }
        }
    }

    /// What the in-memory index of reachable commits says of a prefix, never fetching. The first
    /// call after start loads the index from disk; a mirror not yet created answers `.none`.
    public func indexedLookup(_ prefix: CommitPrefix) async throws -> CommitIndex.Answer {
        if let answer = loadedLookup(prefix) { return answer }
        guard isPresent else { return .none }
        let loaded = try await repository.run { try $0.buildCommitIndex() }
        index.withLock { current in
            if current == nil { current = loaded }
        }
        return loaded.lookup(prefix)
    }

    /// The index's answer, or nil while the index is not loaded.
    public func loadedLookup(_ prefix: CommitPrefix) -> CommitIndex.Answer? {
        index.withLock { $0?.lookup(prefix) }
    }

    /// A full or abbreviated commit id; an unknown one triggers one fetch and a retry.
    public func resolve(_ prefix: CommitPrefix, fetchIfUnknown: Bool = true) async throws -> CommitID {
        try await resolving(prefix.hex, fetchIfUnknown: fetchIfUnknown) { try $0.resolveCommit(prefix: prefix) }
    }

    /// A branch, tag or `merge-requests/<iid>/head`; an unknown one triggers one fetch and a retry.
    public func resolve(name ref: String, fetchIfUnknown: Bool = true) async throws -> CommitID {
        try await resolving(ref, fetchIfUnknown: fetchIfUnknown) { try $0.resolveCommit(name: ref) }
    }

    private func resolving(_ input: String, fetchIfUnknown: Bool,
                           _ lookup: @escaping @Sendable (RepositoryHandle) throws -> CommitID) async throws -> CommitID {
        if !isPresent {
            guard fetchIfUnknown else { throw ResolveError.notFound(input) }
            try await sync()
        }
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

}

public struct MirrorError: Error, Sendable, CustomStringConvertible {
    public var repo: String
    public var url: String
    public var underlying: String

    public var description: String { "mirror of repo '\(repo)' (\(url)): \(underlying)" }
}

/// Collapses concurrent fetch requests for one mirror into a single fetch, and bounds how long
/// each caller waits for it (a libgit2 fetch cannot be interrupted while it blocks on a socket).
actor FetchCoalescer {
    private var running = false
    private var waiters: [Int: CheckedContinuation<FetchOutcome, any Error>] = [:]
    private var timers: [Int: Task<Void, Never>] = [:]
    private var nextWaiter = 0

    func run(waitingAtMost wait: Duration,
             _ fetch: @escaping @Sendable () async throws -> FetchOutcome) async throws -> FetchOutcome {
        let waiter = nextWaiter
        nextWaiter += 1
        return try await withCheckedThrowingContinuation { continuation in
            waiters[waiter] = continuation
            timers[waiter] = Task {
                try? await Task.sleep(for: wait)
                if !Task.isCancelled { self.expire(waiter) }
            }
            if !running {
                running = true
                Task {
                    do {
                        self.finish(.success(try await fetch()))
                    } catch {
                        self.finish(.failure(error))
                    }
                }
            }
        }
    }

    private func finish(_ result: Result<FetchOutcome, any Error>) {
        running = false
        let finished = waiters
        waiters = [:]
        for timer in timers.values { timer.cancel() }
        timers = [:]
        for continuation in finished.values { continuation.resume(with: result) }
    }

    private func expire(_ waiter: Int) {
        timers[waiter] = nil
        waiters.removeValue(forKey: waiter)?.resume(throwing: FetchWaitExpired())
    }
}

struct FetchWaitExpired: Error {}
