import Foundation

/// One job's log: the named job of an attempt of a task.
public struct JobLogKey: Hashable, Sendable {
    public var workflow: String
    public var taskID: Int64
    public var attempt: Int
    public var job: String

    public init(workflow: String, taskID: Int64, attempt: Int, job: String) {
        self.workflow = workflow
        self.taskID = taskID
        self.attempt = attempt
        self.job = job
    }
}

/// A piece of a job's log: `data` starts `offset` bytes into it.
public struct JobLogChunk: Sendable, Equatable {
    public var offset: Int64
    public var data: Data

    public init(offset: Int64, data: Data) {
        self.offset = offset
        self.data = data
    }

    public var end: Int64 { offset + Int64(data.count) }
}

/// Job logs in a store that several processes share: a worker appends its jobs' output as they
/// write it, and any node reads it, live. (A single-node SQLite install keeps logs as files in
/// its data directory instead: nobody else reads them.)
public protocol JobLogStore: Sendable {
    /// Appends `chunk` to the job's log. Chunks come in order from the job's one runner, each
    /// starting where the one before ended; a chunk already stored at its offset (a write retried
    /// after an answer was lost) is kept as it was. Does nothing for a task that is not stored.
    func appendJobLog(_ key: JobLogKey, chunk: JobLogChunk) async throws

    /// The chunks of the job's log from `offset` on, in order, about `limit` bytes at most (at
    /// least one chunk when there is any).
    func jobLog(_ key: JobLogKey, from offset: Int64, limit: Int) async throws -> [JobLogChunk]
}
