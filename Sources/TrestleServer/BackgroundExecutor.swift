import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A task executor backed by one thread of its own at a lower scheduling priority (Linux
/// `nice`), for work that must not compete with answering requests.
///
/// Why: the webhook processor decodes and matches every delivery. When deliveries arrive faster
/// than both can run on the machine's cores, receiving them (which GitLab gives 10 seconds and
/// disables hooks for failing) must win; processing catches up as soon as a core is free. On an
/// idle machine a niced thread runs at once, so processing is only deferred under saturation.
final class BackgroundExecutor: TaskExecutor, @unchecked Sendable {
    private struct State {
        var jobs: [UnownedJob] = []
        var stopped = false
    }

    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)

    /// `niceness` is the thread's nice value: 0 is normal, 19 the lowest (one that cannot be set is left as is).
    /// `name` is what `top -H` and `perf` show: Linux keeps at most 15 bytes and ignores a longer one.
    init(name: String, niceness: Int32 = 10) {
        precondition(name.utf8.count <= 15, "a thread name Linux would ignore: \(name)")
        let thread = Thread { [self] in
            Thread.current.name = name
            #if os(Linux)
            // On Linux the nice value belongs to the thread, and 0 names the calling one.
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness)
            #endif
            runJobs()
        }
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        state.withLock { $0.jobs.append(job) }
        wake.signal()
    }

    /// Ends the thread once the jobs already enqueued have run.
    func stop() {
        state.withLock { $0.stopped = true }
        wake.signal()
    }

    private func runJobs() {
        while true {
            wake.wait()
            let (jobs, stopped) = state.withLock { state in
                let jobs = state.jobs
                state.jobs.removeAll(keepingCapacity: true)
                return (jobs, state.stopped)
            }
            for job in jobs {
                job.runSynchronously(on: asUnownedTaskExecutor())
            }
            if stopped, state.withLock({ $0.jobs.isEmpty }) { return }
        }
    }
}
