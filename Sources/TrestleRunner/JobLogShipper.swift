import Foundation
import Logging
import Synchronization
import TrestleStore

/// Where a job's log goes besides its file, on a store shared by processes: the store, so that any
/// node serves it live.
struct JobLogShipping: Sendable {
    var store: any JobLogStore
    var key: JobLogKey
    var logger: Logger
}

/// Ships a job's log to the shared store while the job writes it: what the log writer kept is
/// buffered and sent every `interval` as one chunk (at most `chunkBytes`), in order, by one loop;
/// `finish` sends the rest before the job's end is recorded, so a reader that sees the job ended
/// has its whole log. A store that refuses a chunk gets it again next time (the buffer is bounded
/// by the log's cap, as the file is); the file on the worker keeps everything regardless.
final class JobLogShipper: Sendable {
    static let interval: Duration = .milliseconds(200)
    static let chunkBytes = 256 * 1024

    private struct State {
        var pending = Data()
        var shipped: Int64 = 0
        var failures = 0
    }

    private let shipping: JobLogShipping
    private let state = Mutex(State())
    private let loop = Mutex<Task<Void, Never>?>(nil)

    init(_ shipping: JobLogShipping) {
        self.shipping = shipping
    }

    func append(_ data: Data) {
        state.withLock { $0.pending.append(data) }
    }

    func start() {
        let task = Task {
            while (try? await Task.sleep(for: Self.interval)) != nil {
                await self.ship()
            }
        }
        loop.withLock { $0 = task }
    }

    /// Stops the loop and sends what is left, trying a few times.
    func finish() async {
        if let task = loop.withLock({ $0 }) {
            task.cancel()
            await task.value
        }
        for _ in 0..<3 where await !ship() {
            try? await Task.sleep(for: Self.interval)
        }
        let (left, failures) = state.withLock { ($0.pending.count, $0.failures) }
        if left > 0 {
            shipping.logger.warning("job log not fully stored: the rest is only in the worker's log file", metadata: [
                "workflow": "\(shipping.key.workflow)", "task": "\(shipping.key.taskID)", "job": "\(shipping.key.job)",
                "bytes": "\(left)", "failures": "\(failures)",
            ])
        }
    }

    /// Sends the buffer in chunks; false when the store refused one (kept for the next try).
    @discardableResult
    private func ship() async -> Bool {
        while true {
            let (data, offset) = state.withLock { ($0.pending.prefix(Self.chunkBytes), $0.shipped) }
            guard !data.isEmpty else { return true }
            do {
                try await shipping.store.appendJobLog(shipping.key, chunk: JobLogChunk(offset: offset, data: Data(data)))
            } catch {
                let first = state.withLock { state -> Bool in
                    state.failures += 1
                    return state.failures == 1
                }
                if first {
                    shipping.logger.warning("cannot store a job's log chunk; trying again", metadata: [
                        "workflow": "\(shipping.key.workflow)", "task": "\(shipping.key.taskID)", "job": "\(shipping.key.job)",
                        "reason": "\(error)",
                    ])
                }
                return false
            }
            state.withLock { state in
                state.pending.removeFirst(data.count)
                state.shipped += Int64(data.count)
            }
        }
    }
}
