import Foundation
import TrestleCore
import TrestleStore

/// Where the logs route and `trestle logs` read jobs' logs: the files this process's executor
/// wrote (SQLite, one node), or the chunks every worker ships to the shared store (PostgreSQL).
public enum JobLogSource: Sendable {
    case files(JobLogs)
    case store(any JobLogStore)

    static let readBytes = 256 * 1024

    /// The log's bytes past `offset` (up to about `readBytes`; empty when nothing more is written
    /// yet), and the offset they end at, where the next read starts.
    func read(_ key: JobLogKey, from offset: Int64) async throws -> (data: Data, end: Int64) {
        switch self {
        case .files(let logs):
            let path = try logs.path(workflow: key.workflow, taskID: key.taskID, attempt: key.attempt, job: key.job)
            // A log not written yet is empty.
            guard let handle = FileHandle(forReadingAtPath: path) else { return (Data(), offset) }
            defer { try? handle.close() }
            try handle.seek(toOffset: UInt64(offset))
            let data = try handle.read(upToCount: Self.readBytes) ?? Data()
            return (data, offset + Int64(data.count))
        case .store(let store):
            // Reads start where the last one ended, a chunk's start; a chunk never stored is skipped.
            let chunks = try await store.jobLog(key, from: offset, limit: Self.readBytes)
            return (chunks.reduce(into: Data()) { $0.append($1.data) }, chunks.last?.end ?? offset)
        }
    }
}

/// Reads jobs' logs for the logs route and `trestle logs`: what each log holds, and with
/// `follow`, what is written to it until its job ends (checked in the store), job after job.
public struct JobLogStream: Sendable {
    public static let followPoll: Duration = .milliseconds(200)

    public let store: any TaskStore
    public let source: JobLogSource

    public init(store: any TaskStore, source: JobLogSource) {
        self.store = store
        self.source = source
    }

    /// The jobs of an attempt, in stage order.
    public static func jobs(of task: TaskRecord, attempt: Int) -> [String] {
        (task.attempts.first { $0.number == attempt }?.stages ?? []).flatMap(\.jobs).map(\.name)
    }

    /// Sends the logs of `jobs` to `write`, each under a `== job ==` header when there are several.
    public func send(workflow: String, taskID: Int64, attempt: Int, jobs: [String], follow: Bool,
                     to write: (Data) async throws -> Void) async throws {
        for job in jobs {
            let key = JobLogKey(workflow: workflow, taskID: taskID, attempt: attempt, job: job)
            if jobs.count > 1 {
                try await write(Data("== \(job) ==\n".utf8))
            }
            var offset: Int64 = 0
            while true {
                offset = try await copy(key, from: offset, to: write)
                guard follow else { break }
                let task = try await store.task(workflow: workflow, taskID: taskID)
                let current = task?.attempts.first { $0.number == attempt }
                let status = current?.stages.flatMap(\.jobs).first { $0.name == job }?.status
                // A job that never started in an attempt that ended will write nothing more; a job
                // recorded ended has its whole log stored (its runner ships the rest first).
                guard let status, !status.isFinal, let current, !current.status.isFinal else {
                    offset = try await copy(key, from: offset, to: write)
                    break
                }
                try await Task.sleep(for: Self.followPoll)
            }
        }
    }

    /// Sends what the log holds past `offset`; answers the new offset.
    private func copy(_ key: JobLogKey, from offset: Int64, to write: (Data) async throws -> Void) async throws -> Int64 {
        var position = offset
        while true {
            let (data, end) = try await source.read(key, from: position)
            guard !data.isEmpty else { return position }
            try await write(data)
            position = end
        }
    }
}
