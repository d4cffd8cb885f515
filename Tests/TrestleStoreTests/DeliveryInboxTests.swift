import Foundation
import Synchronization
import Testing
import TrestleCore
import TrestleStore
@testable import TrestleSQLite

@Suite("Webhook inbox group commit")
struct DeliveryInboxTests {
    @Test("concurrent deliveries are all committed, each answered with its own id; a repeat answers the first", arguments: StoreKind.allCases)
    func concurrentRecords(kind: StoreKind) async throws {
        let (store, close) = try await kind.open()
        let commits = Counter()
        let inbox = DeliveryInbox(store: store, committed: { commits.add() })
        let ids = try await withThrowingTaskGroup(of: Int64.self) { group in
            for index in 0..<200 {
                group.addTask { try await inbox.record(DeliveryStoreTests.delivery("key-\(index)")).id }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(ids) == Set(1...200))
        #expect((1...200).contains(commits.value))
        let repeated = try await inbox.record(DeliveryStoreTests.delivery("key-7"))
        #expect(repeated.duplicateOf != nil)
        #expect(try await store.pendingDeliveries(limit: 500, dueAt: .max).count == 200)
        await inbox.close()
        try await close()
    }

    @Test("a closed inbox refuses new deliveries with a reason, and closing twice is harmless", arguments: StoreKind.allCases)
    func closedInboxRefuses(kind: StoreKind) async throws {
        let (store, close) = try await kind.open()
        let inbox = DeliveryInbox(store: store)
        #expect(try await inbox.record(DeliveryStoreTests.delivery("before")).id == 1)
        await inbox.close()
        await inbox.close()
        await #expect {
            _ = try await inbox.record(DeliveryStoreTests.delivery("after"))
        } throws: { error in
            "\(error)".contains("the inbox is closed")
        }
        #expect(try await store.pendingDeliveries(limit: 10, dueAt: .max).map(\.id) == [1])
        try await close()
    }
}

private final class Counter: Sendable {
    private let count = Mutex(0)
    func add() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
