#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import TrestleServer

@Suite("Background executor")
struct BackgroundExecutorTests {
    @Test("work preferring the background executor runs on a thread with its nice value, and the caller's thread keeps its own")
    func runsAtLowerPriority() async {
        let executor = BackgroundExecutor(name: "trestle.test", niceness: 7)
        defer { executor.stop() }
        let inside = await withTaskExecutorPreference(executor) {
            getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        }
        #expect(inside == 7)
        #expect(getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) != 7)
    }

    @Test("jobs enqueued before stop still run")
    func stopDrains() async {
        let executor = BackgroundExecutor(name: "trestle.test")
        let sum = await withTaskExecutorPreference(executor) {
            var total = 0
            for value in 1...100 {
                await Task.yield()
                total += value
            }
            return total
        }
        executor.stop()
        #expect(sum == 5050)
    }
}
