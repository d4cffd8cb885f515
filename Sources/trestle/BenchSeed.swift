import ArgumentParser
import Foundation
import TrestleCore
import TrestlePostgres
import TrestleSQLite
import TrestleStore

/// Fills a store with synthetic tasks for `make bench`.
struct BenchSeed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-seed",
        abstract: "Seed a fresh SQLite or PostgreSQL store with synthetic tasks (for make bench).",
        shouldDisplay: false
    )

    @Option(help: "SQLite file to create.") var sqlite: String?
    @Option(help: "PostgreSQL URL of an empty database to fill, instead of --sqlite.") var postgres: String?
    @Option(help: "How many tasks.") var count: Int = 1_000_000
    @Option(help: "Workflow the tasks belong to.") var workflow: String = "bench-workflow"
    @Option(help: "File to write sample 8-character commit prefixes to, one a line.") var prefixes: String
    @Option(help: "How many sample prefixes.") var samples: Int = 10_000

    func validate() throws {
        guard (sqlite == nil) != (postgres == nil) else { throw ValidationError("give either --sqlite or --postgres") }
    }

    func run() async throws {
        let store: any TaskStore = if let postgres {
            try await PostgresTaskStore(url: postgres, poolSize: 2)
        } else {
            try SQLiteTaskStore(path: sqlite ?? "")
        }
        var generator = SplitMix64(seed: 0x7265_7374_6c65)
        let batch = 5_000
        var sampled: [String] = []
        let stride = max(1, count / samples)
        let start = Date()
        var created = 0
        while created < count {
            let size = min(batch, count - created)
            var tasks: [NewTask] = []
            tasks.reserveCapacity(size)
            for offset in 0..<size {
                let commit = CommitID(generator.hex40())!
                if (created + offset) % stride == 0 && sampled.count < samples { sampled.append(commit.short) }
                let arguments = TaskArguments(
                    targets: [TargetArguments(name: "svc", serviceType: .k8s, build: BuildArguments(repos: [
                        RepoArguments(repoName: "repo", branch: "main", pr: 0, commitID: commit),
                    ]))],
                    releaseImages: [])
                tasks.append(NewTask(workflow: workflow, project: "bench", env: "dev",
                                     trigger: TaskTrigger(kind: .api, by: "bench"), arguments: arguments,
                                     stages: TaskPlanner.stages(for: arguments),
                                     createTime: 1_700_000_000 + Int64(created + offset)))
            }
            try await store.createTasks(tasks)
            created += size
        }
        try await store.close()
        try (sampled.joined(separator: "\n") + "\n").write(toFile: prefixes, atomically: true, encoding: .utf8)
        print("seeded \(created) tasks in \(String(format: "%.1f", Date().timeIntervalSince(start))) s; \(sampled.count) sample prefixes in \(prefixes)")
    }
}

/// A small deterministic generator, so every bench run seeds the same commits.
struct SplitMix64 {
    var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func hex40() -> String {
        let words = [next(), next(), next()]
        let text = words.map { word -> String in
            let hex = String(word, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
        return String(text.prefix(40))
    }
}
