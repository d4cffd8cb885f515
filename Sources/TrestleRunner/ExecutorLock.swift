import Foundation

/// The one executor of a SQLite store: an exclusive `flock` on a file beside the database, held
/// for the life of the process and released by the kernel when the process dies, however it dies.
///
/// Failing the tasks a gone executor left `running` is only safe when no other executor is alive;
/// with SQLite that is true exactly while this lock is held. A process that runs no tasks
/// (`executor.concurrency: 0`) takes no lock and never touches running tasks.
public final class ExecutorLock: Sendable {
    public let path: String
    private let descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }

    /// The lock file of the store at `storePath`, by the file's real path, so that two spellings of
    /// one database (a symbolic link, `..`) share one lock.
    public static func path(forStore storePath: String) -> String {
        guard let resolved = realpath(storePath, nil) else { return storePath + ".executor-lock" }
        defer { free(resolved) }
        return String(cString: resolved) + ".executor-lock"
    }

    /// Takes the lock, writing `holder` (host and pid) into the file for the next one to name; or
    /// refuses, naming the process that holds it.
    public static func acquire(storePath: String, holder: String) throws(RunnerError) -> ExecutorLock {
        let path = path(forStore: storePath)
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else {
            throw RunnerError("cannot open the executor lock \(path): \(String(cString: strerror(errno))); check that the"
                + " store's directory is writable")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            let other = readHolder(descriptor)
            close(descriptor)
            guard code == EWOULDBLOCK else {
                throw RunnerError("cannot lock \(path): \(String(cString: strerror(code)))")
            }
            throw RunnerError("another executor (\(other.isEmpty ? "holder unknown" : other)) runs the tasks of the store"
                + " \(storePath); a SQLite store has one executor: stop that process, or start this one with"
                + " executor: { concurrency: 0 } to serve the API and webhooks only (several executors need storage.postgres)")
        }
        _ = ftruncate(descriptor, 0)
        let text = Array((holder + "\n").utf8)
        _ = text.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        return ExecutorLock(path: path, descriptor: descriptor)
    }

    private static func readHolder(_ descriptor: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return "" }
        return String(decoding: buffer[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
