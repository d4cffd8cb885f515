import CLibGit2
import Dispatch
import Foundation

/// One libgit2 repository handle, confined to its own serial queue: libgit2 objects are not
/// thread-safe, and their blocking calls must stay off Swift's cooperative pool. Every use
/// goes through `run`, which hops to the queue and back.
public final class GitRepository: @unchecked Sendable {
    public let path: String
    private let queue: DispatchQueue
    // Touched only on `queue`.
    private var handle: RepositoryHandle?
    private let createIfMissing: Bool

    /// Opens the repository at `path` on first use; with `createBare`, creates a bare one there if missing.
    public init(path: String, createBare: Bool = false) {
        GitLibrary.ensureInitialised()
        self.path = path
        self.createIfMissing = createBare
        queue = DispatchQueue(label: "trestle.git.\(URL(fileURLWithPath: path).lastPathComponent)")
    }

    deinit {
        handle?.close()
    }

    /// Runs `body` with the open repository on the repository's queue.
    public func run<T: Sendable>(_ body: @escaping @Sendable (RepositoryHandle) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try body(self.openedHandle()) })
            }
        }
    }

    /// The synchronous form, for callers that are already off the cooperative pool (CLI batch loops).
    public func runBlocking<T>(_ body: (RepositoryHandle) throws -> T) throws -> T {
        try queue.sync { try body(self.openedHandle()) }
    }

    /// Closes the handle once queued work is done; the next use opens the repository afresh.
    public func reopen() {
        queue.async {
            self.handle?.close()
            self.handle = nil
        }
    }

    private func openedHandle() throws -> RepositoryHandle {
        if let handle { return handle }
        let opened = try RepositoryHandle.open(path: path, createBare: createIfMissing)
        handle = opened
        return opened
    }
}

/// The raw libgit2 handles of an open repository. Not Sendable: it lives on its repository's queue.
public struct RepositoryHandle {
    let repo: OpaquePointer
    let odb: OpaquePointer

    static func open(path: String, createBare: Bool) throws -> RepositoryHandle {
        var repo: OpaquePointer?
        var result = git_repository_open_ext(&repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue, nil)
        if result == GIT_ENOTFOUND.rawValue && createBare {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            result = git_repository_init(&repo, path, 1)
            try GitError.check(result, "create bare repository \(path)")
        } else {
            try GitError.check(result, "open repository \(path)")
        }
        var odb: OpaquePointer?
        try GitError.check(git_repository_odb(&odb, repo), "open object database of \(path)")
        return RepositoryHandle(repo: repo!, odb: odb!)
    }

    func close() {
        git_odb_free(odb)
        git_repository_free(repo)
    }
}
