import Foundation

/// Runs the git CLI (or a fixture script calling it) for tests, with a private identity and no
/// system or user config. Product code never does this: it uses libgit2.
public enum FixtureCommand {
    /// Foundation's `Process.run()` on Linux has crashed (a bad read while copying the
    /// environment) when tests launched processes from several threads at once: launches go one
    /// at a time.
    private static let launches = NSLock()

    /// Starts `process`, one launch at a time across the test process.
    public static func launch(_ process: Process) throws {
        launches.lock()
        defer { launches.unlock() }
        try process.run()
    }

    /// Everything `handle` yields until end of file. `readDataToEndOfFile()` traps when a read is
    /// interrupted by a signal (EINTR); this retries the read instead.
    public static func readAll(_ handle: FileHandle) throws -> Data {
        var data = Data()
        while true {
            do {
                guard let chunk = try handle.read(upToCount: 64 * 1024), !chunk.isEmpty else { return data }
                data.append(chunk)
            } catch let error as NSError where error.code == Int(EINTR)
                || (error.userInfo[NSUnderlyingErrorKey] as? NSError)?.code == Int(EINTR) {
                continue
            }
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Runs `command` (through /usr/bin/env) and returns its standard output, trimmed.
    @discardableResult
    public static func run(_ command: [String], in directory: String? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        var environment = ProcessInfo.processInfo.environment
        environment["GIT_CONFIG_NOSYSTEM"] = "1"
        environment["HOME"] = FileManager.default.temporaryDirectory.path
        for key in ["GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"] { environment[key] = environment[key] ?? "trestle-test" }
        for key in ["GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"] { environment[key] = environment[key] ?? "test@trestle.invalid" }
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = Pipe()
        try launch(process)
        let data = try readAll(output.fileHandleForReading)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "\(command.joined(separator: " ")) exited \(process.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `run` on a thread of its own, for commands that call back into a server under test (a git
    /// push whose hook posts to it): blocking one of Swift's few cooperative threads on such a
    /// command can leave the server no thread to answer on.
    @discardableResult
    public static func runOffPool(_ command: [String], in directory: String? = nil) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try run(command, in: directory) })
            }
            thread.start()
        }
    }

    /// What a command printed and how it exited.
    public struct Outcome: Sendable {
        public var status: Int32
        public var output: String
        public var error: String
    }

    /// Runs `command` (through /usr/bin/env) on a thread of its own and answers its exit status and
    /// output, whatever the status: for testing a CLI's exit codes. Standard error goes through a
    /// temporary file, so neither stream can fill its pipe while the other is read.
    public static func outcome(_ command: [String], environment extra: [String: String] = [:]) async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result {
                    let errorFile = FileManager.default.temporaryDirectory.appendingPathComponent("trestle-stderr-\(UUID().uuidString)")
                    _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
                    defer { try? FileManager.default.removeItem(at: errorFile) }
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                    process.arguments = command
                    process.environment = ProcessInfo.processInfo.environment.merging(extra) { _, new in new }
                    let output = Pipe()
                    process.standardOutput = output
                    process.standardError = try FileHandle(forWritingTo: errorFile)
                    try launch(process)
                    let outputBytes = try readAll(output.fileHandleForReading)
                    process.waitUntilExit()
                    return Outcome(status: process.terminationStatus, output: String(decoding: outputBytes, as: UTF8.self),
                                   error: (try? String(contentsOf: errorFile, encoding: .utf8)) ?? "")
                })
            }.start()
        }
    }
}
