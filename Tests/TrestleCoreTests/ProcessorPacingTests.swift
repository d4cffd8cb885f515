import Testing
import TrestleCore

@Suite("Webhook processor pacing beside ingest")
struct ProcessorPacingTests {
    let pacing = ProcessorPacing(quiet: .milliseconds(20), share: 0.1, longestPause: .milliseconds(200))

    @Test func whileIngestIsBusyTheProcessorTakesItsShareOfTheTime() {
        let pause = pacing.pause(afterBatchThatTook: .milliseconds(4), sinceIngest: .milliseconds(1))
        #expect(pause == .milliseconds(36))
    }

    @Test func onceIngestIsQuietTheProcessorRunsWithoutPausing() {
        #expect(pacing.pause(afterBatchThatTook: .milliseconds(4), sinceIngest: .milliseconds(20)) == .zero)
        #expect(pacing.pause(afterBatchThatTook: .milliseconds(4), sinceIngest: .seconds(5)) == .zero)
    }

    @Test func aLongBatchNeverPausesTheProcessorLongerThanTheLimit() {
        #expect(pacing.pause(afterBatchThatTook: .seconds(1), sinceIngest: .zero) == .milliseconds(200))
    }

    @Test func aFullShareNeverPausesAndShareIsKeptAboveZero() {
        #expect(ProcessorPacing(share: 1).pause(afterBatchThatTook: .milliseconds(4), sinceIngest: .zero) == .zero)
        #expect(ProcessorPacing(share: 0).share == 0.01)
    }
}
