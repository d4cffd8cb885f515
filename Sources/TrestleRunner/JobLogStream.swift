import Foundation
import TrestleCore
import TrestleStore

/// Reads jobs' logs for the logs route and `trestle logs`: what each log holds, and with
/// `follow`, what is written to it until its job ends (checked in the store), job after job.
public struct JobLogStream: Sendable {
    public static let followPoll: Duration = .milliseconds(200)
    static let chunkBytes = 64 * 1024

    public let store: any TaskStore
    public let logs: JobLogs

    public init(store: any TaskStore, logs: JobLogs) {
        self.store = store
        self.logs = logs
    }

    /// The jobs of an attempt, in stage order.
    public static func jobs(of task: TaskRecord, attempt: Int) -> [String] {
        (task.attempts.first { $0.number == attempt }?.stages ?? []).flatMap(\.jobs).map(\.name)
    }

    /// Sends the logs of `jobs` to `write`, each under a `== job ==` header when there are several.
    public func send(workflow: String, taskID: Int64, attempt: Int, jobs: [String], follow: Bool,
                     to write: (Data) async throws -> Void) async throws {
        for job in jobs {
            let path = try logs.path(workflow: workflow, taskID: taskID, attempt: attempt, job: job)
            if jobs.count > 1 {
                try await write(Data("== \(job) ==\n".utf8))
            }
            var offset: UInt64 = 0
            while true {
                offset = try await Self.copy(path, from: offset, to: write)
                guard follow else { break }
                let task = try await store.task(workflow: workflow, taskID: taskID)
                let current = task?.attempts.first { $0.number == attempt }
                let status = current?.stages.flatMap(\.jobs).first { $0.name == job }?.status
                // A job that never started in an attempt that ended will write nothing more.
                guard let status, !status.isFinal, let current, !current.status.isFinal else {
                    offset = try await Self.copy(path, from: offset, to: write)
                    break
                }
                try await Task.sleep(for: Self.followPoll)
            }
        }
    }

    /// Sends what the file holds past `offset`; answers the new offset. A log not written yet is empty.
    private static func copy(_ path: String, from offset: UInt64, to write: (Data) async throws -> Void) async throws -> UInt64 {
        guard let handle = FileHandle(forReadingAtPath: path) else { return offset }
        defer { try? handle.close() }
        try handle.seek(toOffset: offset)
        var position = offset
        while let data = try handle.read(upToCount: chunkBytes), !data.isEmpty {
            try await write(data)
            position += UInt64(data.count)
        }
        return position
    }
}
