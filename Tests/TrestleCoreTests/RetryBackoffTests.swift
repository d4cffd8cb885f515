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

@Suite("URL redaction: credentials never shown, however they are written")
struct URLRedactionTests {
    @Test func credentialsWithEncodedOrRawAtAndSlashAreRemoved() {
        #expect(URLRedaction.redact("https://u%40x:p%2Fq@host/r.git") == "https://host/r.git")
        #expect(URLRedaction.redact("https://u@x:p@host/r.git") == "https://host/r.git")
        #expect(URLRedaction.redact("https://user:pa/ss@host/r.git") == "https://***@host/r.git")
        #expect(URLRedaction.redact("https://u:ab?cd@host/r") == "https://***@host/r")
        #expect(URLRedaction.redact("https://u:ab#cd@host/r") == "https://***@host/r")
        #expect(URLRedaction.redact("https://u:123/45@host/r") == "https://***@host/r")
        #expect(URLRedaction.redact("https://TOK/EN@host/r") == "https://***@host/r")
        #expect(URLRedaction.redact("http://[fd00::1]:8000/a") == "http://[fd00::1]:8000/a")
        #expect(URLRedaction.redact("https://oauth2:glpat-secret@gitlab.example.com/g/r.git?x=1") == "https://gitlab.example.com/g/r.git?x=1")
    }

    @Test func urlsWithoutCredentialsAreUnchanged() {
        #expect(URLRedaction.redact("https://host/g/pkg@v1.git") == "https://***@v1.git", "ambiguous: shown as ***")
        for url in ["https://host/r.git", "https://host:8443/g/r.git", "/srv/git/r.git", "http://[fd00::1]:8000/x",
                    "ssh://git@host/r.git".replacingOccurrences(of: "git@", with: "")] {
            #expect(URLRedaction.redact(url) == url)
        }
    }
}

@Suite("Delivery retries: pending until the tries are spent, then failed with the reason")
struct DeliveryRetryPolicyTests {
    @Test func aFailedTryIsPostponedWithGrowingDelaysUntilTheLastTryFailsIt() {
        let policy = DeliveryRetryPolicy(backoff: RetryBackoff(first: .seconds(2), longest: .seconds(600)), maxTries: 4)
        var attempts = DeliveryAttempts.none
        var times: [Int64] = []
        for _ in 1...3 {
            guard case .retry(let next) = policy.decide(after: attempts, reason: "fetch failed", now: 1_000) else {
                Issue.record("gave up too early")
                return
            }
            #expect(next.lastError == "fetch failed")
            times.append(next.nextTime)
            attempts = next
        }
        #expect(times == [1_002, 1_004, 1_008])
        #expect(attempts.failures == 3)
        #expect(policy.decide(after: attempts, reason: "fetch failed", now: 1_010)
            == .fail(DeliveryOutcome(state: .failed, reason: "gave up after 4 tries: fetch failed")))
    }
}
