import Testing
import TrestleCore

@Suite("Retry backoff: doubling, capped, never exhausted")
struct RetryBackoffTests {
    @Test func delaysDoubleFromTheFirstUpToTheLongestAndStayThere() {
        let backoff = RetryBackoff(first: .milliseconds(200), longest: .seconds(5))
        #expect((1...7).map { backoff.delay(afterFailures: $0) }
            == [.milliseconds(200), .milliseconds(400), .milliseconds(800), .milliseconds(1600), .milliseconds(3200),
                .seconds(5), .seconds(5)])
        #expect(backoff.delay(afterFailures: 1_000_000) == .seconds(5))
        #expect(backoff.delay(afterFailures: 0) == .milliseconds(200))
    }
}
