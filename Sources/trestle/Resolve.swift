import ArgumentParser
import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TrestleCore
import TrestleGit

struct Resolve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the full commit id of each id, branch, tag or merge-requests/<iid>/head.",
        discussion: """
            Ids (4 to 40 hex characters, any case) are resolved as ids, everything else as a
            branch, tag (peeled) or ref name, so a branch named like a hex prefix never shadows
            an id. Prints one full id per line in input order; with no arguments reads one input
            a line from standard input. A failed input prints an error on standard error and
            makes the exit code 1. With --repo, an unknown input makes the mirror fetch once
            and try again.
            Examples:
              trestle resolve --git-dir /srv/git/app.git 1a2b3c4d main v1.2.0
              git log --format=%h | trestle resolve --config trestle.yaml --repo voting-app
            """
    )

    @Option(help: "A configured repo whose mirror to use (with --config).") var repo: String?
    @OptionGroup var mirrorOptions: MirrorOptions
    @Option(help: "A git directory to read directly instead of a mirror.") var gitDir: String?
    @Argument(help: "Commit ids or names; none reads them from standard input.") var inputs: [String] = []

    func validate() throws {
        guard (repo == nil) != (gitDir == nil) else {
            throw ValidationError("give exactly one of --repo NAME and --git-dir DIR")
        }
    }

    func run() throws {
        let resolver = try makeResolver()
        var failed = false
        var output = ""
        let answer: (Substring) -> Void = { raw in
            let input = Self.trimmed(raw)
            guard !input.isEmpty else { return }
            do {
                output += try resolver(input).hex + "\n"
            } catch {
                failed = true
                Self.write(output, to: STDOUT_FILENO)
                output = ""
                Self.write("error: \(input): \(error)\n", to: STDERR_FILENO)
            }
        }
        if inputs.isEmpty {
            // Answers every complete line of each chunk read, then writes them at once before
            // reading again: one write per chunk for batches, yet a co-process that sends one
            // id and waits still gets its answer.
            var pending = Data()
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = read(STDIN_FILENO, &buffer, buffer.count)
                if count <= 0 { break }
                pending.append(contentsOf: buffer[0..<count])
                guard let lastNewline = pending.lastIndex(of: UInt8(ascii: "\n")) else { continue }
                let complete = String(decoding: pending[pending.startIndex...lastNewline], as: UTF8.self)
                pending = Data(pending[pending.index(after: lastNewline)...])
                complete.split(separator: "\n", omittingEmptySubsequences: true).forEach(answer)
                Self.write(output, to: STDOUT_FILENO)
                output = ""
            }
            answer(Substring(String(decoding: pending, as: UTF8.self)))
        } else {
            inputs.forEach { answer(Substring($0)) }
        }
        Self.write(output, to: STDOUT_FILENO)
        if failed { throw ExitCode(1) }
    }

    /// Input without surrounding spaces, tabs and carriage returns (Foundation's trimming cost
    /// more than the lookup itself).
    private static func trimmed(_ raw: Substring) -> String {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let first = raw.firstIndex(where: { !blank($0) }), let last = raw.lastIndex(where: { !blank($0) }) else {
            return ""
        }
        return String(raw[first...last])
    }

    private static func write(_ text: String, to descriptor: Int32) {
        guard !text.isEmpty else { return }
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written <= 0 { return }
            bytes = bytes.dropFirst(written)
        }
    }

    private func makeResolver() throws -> (String) throws -> CommitID {
        if let gitDir {
            guard FileManager.default.fileExists(atPath: gitDir) else {
                throw ValidationError("--git-dir \(gitDir) does not exist")
            }
            let repository = GitRepository(path: gitDir)
            return { input in try repository.runBlocking { try Self.resolve(input, in: $0) } }
        }
        guard let repo, let mirror = try mirrorOptions.mirrors(named: repo).first else {
            throw ValidationError("give --repo NAME or --git-dir DIR")
        }
        return { input in
            do {
                return try mirror.repository.runBlocking { try Self.resolve(input, in: $0) }
            } catch ResolveError.notFound(_) {
                try BlockingWait.run { try await mirror.sync() }
                return try mirror.repository.runBlocking { try Self.resolve(input, in: $0) }
            }
        }
    }

    static func resolve(_ input: String, in handle: RepositoryHandle) throws -> CommitID {
        if let prefix = try? CommitPrefix(parsing: input) {
            return try handle.resolveCommit(prefix: prefix)
        }
        return try handle.resolveCommit(name: input)
    }
}

/// Waits on the main thread for async work (the rare fetch of a synchronous command).
enum BlockingWait {
    static func run<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) throws -> T {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        Task {
            box.result = await Result { try await work() }
            done.signal()
        }
        done.wait()
        return try box.result!.get()
    }

    private final class ResultBox<T>: @unchecked Sendable {
        var result: Result<T, any Error>?
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do {
            self = .success(try await body())
        } catch {
            self = .failure(error)
        }
    }
}
