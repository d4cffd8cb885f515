import Foundation
import Subprocess
import Synchronization
import TrestleCore
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
    /// A command from the configuration file, run by `/bin/sh -c` inside whatever `process` wraps
    /// it in (a sandbox, limits). Task data is never spliced into it: it reaches the command only
    /// through `environment`.
    var process: SandboxedCommand
    var environment: [String: String]
    /// Secret values the log must not show.
    var masked: [String] = []
    var workingDirectory: String
    var logPath: String
    var maxLogBytes: Int
    /// Where the log also goes, on a store shared by processes.
    var logShipping: JobLogShipping?
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
/// with it. Past the deadline, or when the job's task is cancelled, the whole group gets SIGTERM,
/// then SIGKILL after the grace period unless it is gone by then; when the command ends by
/// itself, whatever it left in its group is killed too. The deadline holds until the process
/// exits, even if the command closed its output long before.
enum JobProcess {
    /// How the job ended, and the last few KB of its output (for saying which limit ended it).
    static func run(_ job: JobCommand) async -> (end: JobEnd, tail: String) {
        let log: CappedLogWriter
        let shipper = job.logShipping.map(JobLogShipper.init)
        do {
            log = try CappedLogWriter(path: job.logPath, cap: job.maxLogBytes, shipper: shipper)
        } catch {
            return (.couldNotStart("\(error)"), "")
        }
        shipper?.start()
        let end = await run(job, log: log)
        log.close()
        if let shipper {
            // A job stopped by a cancel still has its last lines stored: not in the cancelled task.
            await Task { await shipper.finish() }.value
        }
        return (end, log.tail)
    }

    private static func run(_ job: JobCommand, log: CappedLogWriter) async -> JobEnd {
        var options = PlatformOptions()
        options.processGroupID = 0
        options.teardownSequence = [.gracefulShutDown(allowedDurationToNextStep: job.killGrace)]
        var environment: [Environment.Key: String] = [:]
        for (name, value) in job.environment {
            if let key = Environment.Key(rawValue: name) { environment[key] = value }
        }
        let logBox = LogBox(log, masker: SecretMasker(values: job.masked))
        let group = ProcessGroup()
        let watchdog = Task {
            guard (try? await Task.sleep(until: job.deadline, clock: .continuous)) != nil else { return false }
            await group.end(grace: job.killGrace)
            return true
        }
        defer { watchdog.cancel() }
        do {
            let result = try await withTaskCancellationHandler {
                try await Subprocess.run(
                    .path(FilePath(job.process.executable)), arguments: Arguments(job.process.arguments),
                    environment: .custom(environment),
                    workingDirectory: FilePath(job.workingDirectory), platformOptions: options,
                    input: .none, output: .sequence, error: .combinedWithOutput
                ) { execution in
                    group.started(execution.processIdentifier.value, grace: job.killGrace)
                    do {
                        for try await buffer in execution.standardOutput {
                            buffer.withUnsafeBytes { logBox.write($0) }
                        }
                    } catch {}
                    logBox.flush()
                }
            } onCancel: {
                Task { await group.end(grace: job.killGrace) }
            }
            // The command has exited: whatever it left running in its group does not outlive the job.
            group.finished()
            watchdog.cancel()
            let timedOut = await watchdog.value
            if timedOut {
                log.note("the job ran out of time and was stopped")
                return .timedOut
            }
            if Task.isCancelled {
                log.note("the job was stopped: its task was cancelled or the executor shut down")
                return .stopped
            }
            switch result.terminationStatus {
            case .exited(let code): return .exited(code)
            case .signaled(let signal): return .signaled(signal)
            }
        } catch {
            group.finished()
            if Task.isCancelled { return .stopped }
            return .couldNotStart("cannot start \(job.process.executable) in \(job.workingDirectory): \(error)")
        }
    }
}

/// A job's process group, ended at most once: SIGTERM, then SIGKILL after the grace period
/// unless the job's process has exited by then (and its group was swept with SIGKILL).
private final class ProcessGroup: Sendable {
    private struct State {
        var id: pid_t?
        var exited = false
        var ending = false
    }

    private let state = Mutex(State())

    /// The group exists: if it was asked to end before, it ends now.
    func started(_ id: pid_t, grace: Duration) {
        let endNow = state.withLock { state -> Bool in
            state.id = id
            return state.ending
        }
        if endNow { Task { await self.terminate(id, grace: grace) } }
    }

    /// After the process exited: its group is swept, and no later signal can reach a reused id.
    func finished() {
        let id = state.withLock { state -> pid_t? in
            state.exited = true
            return state.id
        }
        if let id { _ = kill(-id, SIGKILL) }
    }

    func end(grace: Duration) async {
        let id = state.withLock { state -> pid_t? in
            guard !state.exited, !state.ending else { return nil }
            state.ending = true
            return state.id
        }
        if let id { await terminate(id, grace: grace) }
    }

    private func terminate(_ id: pid_t, grace: Duration) async {
        guard kill(-id, SIGTERM) == 0 else { return }
        // Not cancellable: a stopped job must still be finished off.
        await withCheckedContinuation { continuation in
            DispatchQueue.global().asyncAfter(deadline: .now() + grace.timeInterval) { continuation.resume() }
        }
        if state.withLock({ !$0.exited }) { _ = kill(-id, SIGKILL) }
    }
}

extension Duration {
    var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}

/// The log writer, handed to the output-reading closure; only that closure writes to it until the process ends.
private final class LogBox: @unchecked Sendable {
    let writer: CappedLogWriter
    private var masker: SecretMasker

    init(_ writer: CappedLogWriter, masker: SecretMasker) {
        self.writer = writer
        self.masker = masker
    }

    func write(_ bytes: UnsafeRawBufferPointer) {
        guard !masker.isEmpty else { return writer.append(bytes) }
        masker.feed(bytes).withUnsafeBytes { writer.append($0) }
    }

    func flush() {
        guard !masker.isEmpty else { return }
        masker.finish().withUnsafeBytes { writer.append($0) }
    }
}
