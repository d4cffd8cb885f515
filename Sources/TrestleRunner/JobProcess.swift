import Foundation
import Subprocess
import Synchronization
#if canImport(System)
import System
#else
import SystemPackage
#endif
#if canImport(Glibc)
import Glibc
#endif

/// One job's command, ready to run.
struct JobCommand: Sendable {
    /// A command from the configuration file, run by `/bin/sh -c`. Task data is never spliced
    /// into it: it reaches the command only through `environment`.
    var command: String
    var environment: [String: String]
    var workingDirectory: String
    var logPath: String
    var maxLogBytes: Int
    /// When the job must have ended; past it the process group is ended and the job timed out.
    var deadline: ContinuousClock.Instant
    var killGrace: Duration
}

/// How a job's process ended.
enum JobEnd: Sendable, Equatable {
    case exited(Int32)
    case signaled(Int32)
    case timedOut
    /// The job's task was cancelled (by a user, a task timeout or shutdown) while it ran.
    case stopped
    case couldNotStart(String)
}

/// Runs a job's command in a process group of its own, its stdout and stderr into a capped log.
///
/// Why a group: a build command starts children (compilers, test runners, `sleep`) that must end
/// with it. A timeout or cancel sends SIGTERM to the whole group, then SIGKILL after the grace
/// period; when the command ends by itself, whatever it left in its group is killed too.
enum JobProcess {
    static func run(_ job: JobCommand) async -> JobEnd {
        let log: CappedLogWriter
        do {
            log = try CappedLogWriter(path: job.logPath, cap: job.maxLogBytes)
        } catch {
            return .couldNotStart("\(error)")
        }
        defer { log.close() }
        var options = PlatformOptions()
        options.processGroupID = 0
        options.teardownSequence = [.gracefulShutDown(allowedDurationToNextStep: job.killGrace)]
        var environment: [Environment.Key: String] = [:]
        for (name, value) in job.environment {
            if let key = Environment.Key(rawValue: name) { environment[key] = value }
        }
        let logBox = LogBox(log)
        do {
            let result = try await Subprocess.run(
                .path(FilePath("/bin/sh")), arguments: ["-c", job.command], environment: .custom(environment),
                workingDirectory: FilePath(job.workingDirectory), platformOptions: options,
                input: .none, output: .sequence, error: .combinedWithOutput
            ) { execution -> Bool in
                let group = execution.processIdentifier.value
                return await watch(group: group, output: execution.standardOutput, log: logBox, job: job)
            }
            // Whatever the command left running in its group does not outlive the job.
            _ = kill(-result.processIdentifier.value, SIGKILL)
            if result.closureResult { return Task.isCancelled ? .stopped : .timedOut }
            if Task.isCancelled { return .stopped }
            switch result.terminationStatus {
            case .exited(let code): return .exited(code)
            case .signaled(let signal): return .signaled(signal)
            }
        } catch {
            if Task.isCancelled { return .stopped }
            return .couldNotStart("cannot start /bin/sh in \(job.workingDirectory): \(error)")
        }
    }

    private enum Event: Sendable {
        case outputEnded
        case mustStop
        case graceOver
        case nothing
    }

    /// Copies output into the log until it ends; answers true when the group had to be ended
    /// (deadline passed, or the task was stopped). Ending sends SIGTERM to the group, then SIGKILL
    /// once its output has closed or the grace period has passed, whichever comes first.
    private static func watch(group: pid_t, output: SubprocessOutputSequence, log: LogBox, job: JobCommand) async -> Bool {
        let outputEnded = Flag()
        let stopped = await withTaskGroup(of: Event.self) { tasks in
            tasks.addTask {
                do {
                    for try await buffer in output {
                        buffer.withUnsafeBytes { log.writer.append($0) }
                    }
                } catch {}
                outputEnded.value.store(true, ordering: .sequentiallyConsistent)
                return .outputEnded
            }
            tasks.addTask {
                do {
                    try await Task.sleep(until: job.deadline, clock: .continuous)
                } catch {
                    // Cancelled because the output ended: nothing to stop.
                    if outputEnded.value.load(ordering: .sequentiallyConsistent) { return .nothing }
                }
                return .mustStop
            }
            var stopping = false
            for await event in tasks {
                switch event {
                case .outputEnded:
                    if stopping { _ = kill(-group, SIGKILL) } else { tasks.cancelAll() }
                case .mustStop:
                    stopping = true
                    guard kill(-group, SIGTERM) == 0 else { continue }
                    tasks.addTask {
                        // Not cancellable: a stopped task must still finish off its processes.
                        await withCheckedContinuation { continuation in
                            DispatchQueue.global().asyncAfter(deadline: .now() + job.killGrace.timeInterval) { continuation.resume() }
                        }
                        return .graceOver
                    }
                case .graceOver:
                    _ = kill(-group, SIGKILL)
                case .nothing:
                    break
                }
            }
            return stopping
        }
        if stopped {
            log.writer.note(Task.isCancelled ? "the job was stopped: its task was cancelled, timed out or the executor shut down"
                                             : "the job ran out of time and was stopped")
        }
        return stopped
    }
}

extension Duration {
    var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}

/// The log writer, handed to the output-reading child task; only that task writes to it.
private final class LogBox: @unchecked Sendable {
    let writer: CappedLogWriter

    init(_ writer: CappedLogWriter) {
        self.writer = writer
    }
}

private final class Flag: Sendable {
    let value = Atomic<Bool>(false)
}
