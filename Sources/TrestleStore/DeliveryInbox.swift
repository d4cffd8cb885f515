import Synchronization
import TrestleCore

/// Group commit for webhook deliveries: each caller waits until its delivery is committed, and
/// deliveries that arrive while a transaction is being written go together in the next one, so
/// durable ingest costs one fsync per batch rather than per request.
public final class DeliveryInbox: Sendable {
    public static let maximumBatch = 256

    private struct Waiting {
        var delivery: NewDelivery
        var continuation: CheckedContinuation<DeliveryReceipt, any Error>
    }

    private struct State {
        var queue: [Waiting] = []
        var writing = false
    }

    private let store: any TaskStore
    private let state = Mutex(State())
    /// Called after each committed batch (the processor's doorbell).
    private let committed: @Sendable () -> Void

    public init(store: any TaskStore, committed: @escaping @Sendable () -> Void = {}) {
        self.store = store
        self.committed = committed
    }

    /// Returns once the delivery is committed (or found to repeat an earlier one).
    public func record(_ delivery: NewDelivery) async throws -> DeliveryReceipt {
        try await withCheckedThrowingContinuation { continuation in
            let startWriter = state.withLock { state in
                state.queue.append(Waiting(delivery: delivery, continuation: continuation))
                guard !state.writing else { return false }
                state.writing = true
                return true
            }
            if startWriter {
                Task { await self.drain() }
            }
        }
    }

    private func drain() async {
        while true {
            let batch: [Waiting] = state.withLock { state in
                guard !state.queue.isEmpty else {
                    state.writing = false
                    return []
                }
                let batch = Array(state.queue.prefix(Self.maximumBatch))
                state.queue.removeFirst(batch.count)
                return batch
            }
            guard !batch.isEmpty else { return }
            do {
                let receipts = try await store.recordDeliveries(batch.map(\.delivery))
                for (waiting, receipt) in zip(batch, receipts) {
                    waiting.continuation.resume(returning: receipt)
                }
                committed()
            } catch {
                for waiting in batch {
                    waiting.continuation.resume(throwing: error)
                }
            }
        }
    }
}
