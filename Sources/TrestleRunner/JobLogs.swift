import Foundation
import TrestleCore

/// Where each job's output lives: `<data dir>/logs/<workflow>/<task id>/<attempt>/<job>.log`.
public struct JobLogs: Sendable {
    public let root: String

    public init(dataDir: String) {
        root = URL(fileURLWithPath: dataDir).appendingPathComponent("logs").path
    }

    public func path(workflow: String, taskID: Int64, attempt: Int, job: String) throws -> String {
        try JobDirectory.path(root: root, workflow: workflow, taskID: taskID, attempt: attempt, job: job, suffix: ".log")
    }
}

/// Appends a job's output to its log file up to a size cap, then counts what it drops and says so
/// at the end, so a job printing without end cannot fill the disk.
final class CappedLogWriter {
    private let handle: FileHandle
    private let cap: Int
    private(set) var written = 0
    private(set) var dropped = 0
    /// Set once a write failed (disk full): the rest of the output is counted, not written.
    private var failure: (any Error)?

    /// Sends what is written on to the shared store, where there is one.
    private let shipper: JobLogShipper?

    init(path: String, cap: Int, shipper: JobLogShipper? = nil) throws {
        self.shipper = shipper
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw RunnerError("cannot create log file \(path)")
        }
        handle = try FileHandle(forWritingTo: url)
        self.cap = cap
    }

    /// The last `tailBytes` of the output, kept whether or not the cap dropped them.
    private var tailBuffer: [UInt8] = []
    private let tailBytes = 4_096

    var tail: String { String(decoding: tailBuffer, as: UTF8.self) }

    func append(_ bytes: UnsafeRawBufferPointer) {
        tailBuffer.append(contentsOf: bytes.suffix(tailBytes))
        if tailBuffer.count > tailBytes { tailBuffer.removeFirst(tailBuffer.count - tailBytes) }
        let room = failure == nil ? max(0, cap - written) : 0
        let kept = min(room, bytes.count)
        if kept > 0 {
            do {
                let data = Data(bytes: bytes.baseAddress!, count: kept)
                try handle.write(contentsOf: data)
                shipper?.append(data)
                written += kept
            } catch {
                failure = error
                dropped += kept
            }
        }
        dropped += bytes.count - kept
    }

    /// A line of Trestle's own, set apart from the job's output.
    func note(_ text: String) {
        guard failure == nil else { return }
        do {
            let data = Data("\n[trestle] \(text)\n".utf8)
            try handle.write(contentsOf: data)
            shipper?.append(data)
        } catch {
            failure = error
        }
    }

    func close() {
        if dropped > 0 {
            note(failure.map { "writing the log failed (\($0)); \(dropped) bytes of output were dropped" }
                ?? "log capped at \(cap) bytes; \(dropped) more bytes of output were dropped")
        }
        try? handle.close()
    }
}
