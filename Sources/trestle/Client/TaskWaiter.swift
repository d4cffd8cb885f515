import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Polls tasks until they end or the timeout passes: a live progress line on a terminal, a plain
/// line per change otherwise; answers the tasks as last seen and the exit code they make.
struct TaskWaiter {
    var interval: Duration = .seconds(2)
    var timeout: Int?
    var quiet = false

    static var isTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    func wait(_ poll: () async throws -> [TrestleClient.TaskStatus]) async throws -> [TrestleClient.TaskStatus] {
        let started = ContinuousClock.now
        let deadline = timeout.map { started + .seconds($0) }
        var last = ""
        var tasks: [TrestleClient.TaskStatus] = []
        while true {
            do {
                tasks = try await poll()
            } catch let failure as ClientFailure where failure.transient {
                // A restarting server or a proxy's 502 does not end a wait; auth and usage errors do.
                if let deadline, ContinuousClock.now + interval > deadline { throw failure }
                if !quiet { FileHandle.standardError.write(Data("\(Self.isTerminal ? "\r\u{1B}[K" : "")retrying: \(failure)\n".utf8)) }
                try await Task.sleep(for: interval)
                continue
            }
            let line = Self.progress(tasks, since: started)
            if !quiet {
                if Self.isTerminal {
                    FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
                } else if line != last {
                    FileHandle.standardError.write(Data("\(line)\n".utf8))
                }
            }
            last = line
            if !tasks.isEmpty, tasks.allSatisfy(\.isFinal) { break }
            if let deadline, ContinuousClock.now + interval > deadline { break }
            try await Task.sleep(for: interval)
        }
        if !quiet, Self.isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
        return tasks
    }

    /// `2 tasks: 1 running, 1 passed (35 s)`, counting the statuses by name.
    static func progress(_ tasks: [TrestleClient.TaskStatus], since start: ContinuousClock.Instant) -> String {
        let elapsed = (ContinuousClock.now - start).components.seconds
        guard !tasks.isEmpty else { return "waiting for a task (\(elapsed) s)" }
        var counts: [String: Int] = [:]
        for task in tasks { counts[task.status, default: 0] += 1 }
        let order = ["created", "running", "passed", "failed", "timeout", "cancelled"]
        let summary = order.compactMap { status in counts[status].map { "\($0) \(status)" } }.joined(separator: ", ")
        return "\(tasks.count) task\(tasks.count == 1 ? "" : "s"): \(summary) (\(elapsed) s)"
    }

    /// 0 all passed; 1 any failed, timed out or cancelled; 2 none; 3 some still created or running.
    static func exitCode(_ tasks: [TrestleClient.TaskStatus]) -> ExitCode {
        guard !tasks.isEmpty else { return ClientExit.noTask }
        if tasks.contains(where: { ["failed", "timeout", "cancelled"].contains($0.status) }) { return ClientExit.failed }
        if tasks.contains(where: { !$0.isFinal }) { return ClientExit.running }
        return ClientExit.passed
    }

    /// One line per task: id, workflow, status, duration, url.
    static func table(_ tasks: [TrestleClient.TaskStatus], now: Int64 = Int64(Date().timeIntervalSince1970)) -> String {
        tasks.map { task in
            let end = task.end_time > 0 ? task.end_time : now
            let duration = task.start_time > 0 ? "\(max(0, end - task.start_time))s" : "-"
            return [String(task.task_id), task.workflow, task.status, duration, task.url].joined(separator: "\t")
        }.joined(separator: "\n")
    }

    static func json(_ tasks: [TrestleClient.TaskStatus]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(tasks), as: UTF8.self)
    }
}
