import ArgumentParser
import Foundation
import TrestleCore
import TrestleGit

struct MirrorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mirror",
        abstract: "Fetch and inspect the bare mirrors of the configured repos.",
        subcommands: [Sync.self, List.self]
    )

    struct Sync: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fetch one repo's mirror, or all of them, from their remotes (with prune).",
            discussion: "Example: trestle mirror sync --config trestle.yaml voting-app"
        )

        @OptionGroup var options: MirrorOptions
        @Argument(help: "The repo to fetch; none fetches every repo.") var name: String?

        func run() async throws {
            let mirrors = try options.mirrors(named: name)
            var failed = false
            for mirror in mirrors {
                do {
                    let outcome = try await mirror.sync()
                    print("\(mirror.name): fetched \(mirror.redactedURL) in \(String(format: "%.2f", outcome.durationSeconds)) s, \(outcome.refCount) refs")
                } catch {
                    failed = true
                    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                }
            }
            if failed { throw ExitCode(1) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the mirrors: path, last fetch time and result, ref count.",
            discussion: "Example: trestle mirror list --config trestle.yaml"
        )

        @OptionGroup var options: MirrorOptions

        func run() async throws {
            for mirror in try options.mirrors(named: nil) {
                let state = mirror.readState()
                let when = state.lastFetchTime.map {
                    ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval($0)))
                } ?? "never fetched"
                print("\(mirror.name)\t\(mirror.path)\t\(when)\t\(state.lastResult ?? "-")\t\(state.refCount) refs")
            }
        }
    }
}

struct MirrorOptions: ParsableArguments {
    @Option(help: "The config file.") var config: String = "trestle.yaml"
    @Option(help: "Directory for all state, overriding data_dir.") var dataDir: String?

    func mirrors(named name: String?) throws -> [Mirror] {
        let loaded = try ConfigFile.load(config).overriding(listen: nil, dataDir: dataDir)
        let set = MirrorSet(config: loaded)
        guard let name else { return set.all }
        guard let mirror = set[name] else {
            throw ValidationError("repo '\(name)' is not in \(config); configured: \(loaded.repos.map(\.name).joined(separator: ", "))")
        }
        return [mirror]
    }
}
