import Foundation
import Testing
import TrestleTestSupport

/// Real repositories built with the git CLI in a temp dir (tests only; product code uses libgit2).
struct GitFixture {
    let root: URL

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("trestle-git-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { root.appendingPathComponent(name).path }

    func remove() {
        try? FileManager.default.removeItem(at: root)
    }

    /// A working repository made by Fixtures/make-repo.sh.
    func makeRepo(_ name: String = "work", commits: Int = 40) throws -> String {
        let script = try #require(Bundle.module.url(forResource: "make-repo", withExtension: "sh", subdirectory: "Fixtures"))
        try Self.run("/bin/bash", [script.path, path(name), "\(commits)"])
        return path(name)
    }

    @discardableResult
    static func git(_ directory: String, _ arguments: String...) throws -> String {
        try run("/usr/bin/env", ["git", "-C", directory] + arguments)
    }

    /// `git rev-parse --verify -q <input>^{commit}`, or nil where git fails.
    static func gitResolve(_ directory: String, _ input: String) -> String? {
        try? run("/usr/bin/env", ["git", "-C", directory, "rev-parse", "--verify", "-q", "\(input)^{commit}"])
    }

    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        try FixtureCommand.run([executable] + arguments)
    }

    enum FixtureError: Error {
        case failed(String)
    }
}

/// `git daemon` serving a directory on a loopback port, for fetch tests.
final class GitDaemon {
    let port: Int
    private let process: Process

    init(basePath: String) throws {
        // Run git-daemon itself: the `git` wrapper would not pass SIGTERM on to it.
        let daemon = try GitFixture.run("/usr/bin/env", ["git", "--exec-path"]) + "/git-daemon"
        var lastError: (any Error)?
        for _ in 0..<20 {
            let port = Int.random(in: 20_000...45_000)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: daemon)
            process.arguments = ["--reuseaddr", "--export-all", "--listen=127.0.0.1",
                                 "--port=\(port)", "--base-path=\(basePath)", basePath]
            process.standardOutput = Pipe()
            process.standardError = Pipe()
            do {
                try FixtureCommand.launch(process)
                if Self.waitUntilListening(port: port, process: process) {
                    self.port = port
                    self.process = process
                    return
                }
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            } catch {
                lastError = error
            }
        }
        throw lastError ?? GitFixture.FixtureError.failed("git daemon did not start")
    }

    func url(_ repository: String) -> String { "git://127.0.0.1:\(port)/\(repository)" }

    /// SIGKILL: a child started from a dispatch worker thread inherits its blocked SIGTERM.
    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Polls with a deadline until the port accepts a connection.
    private static func waitUntilListening(port: Int, process: Process) -> Bool {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline && process.isRunning {
            if (try? GitFixture.run("/usr/bin/env", ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/\(port)"])) != nil {
                return true
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return false
    }
}

/// A loopback TCP port that accepts connections (through the kernel's backlog) and never answers.
final class SilentListener {
    let port: Int
    private let socketFD: Int32

    init() throws {
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.socketFD = socketFD
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(socketFD, 16) == 0 else {
            Glibc.close(socketFD)
            throw GitFixture.FixtureError.failed("cannot listen on loopback")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socketFD, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() {
        Glibc.close(socketFD)
    }
}
