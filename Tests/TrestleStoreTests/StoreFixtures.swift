import Foundation
import Testing
import TrestleCore
import TrestleSQLite
import TrestleStore

/// Every store implementation the shared suite runs against (PostgreSQL joins later).
enum StoreKind: String, CaseIterable, CustomTestStringConvertible {
    case sqlite

    var testDescription: String { rawValue }

    func open() throws -> (any TaskStore, cleanup: () -> Void) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("trestle-store-\(UUID().uuidString)")
        let store = try SQLiteTaskStore(path: dir.appendingPathComponent("t.sqlite").path)
        return (store, { try? FileManager.default.removeItem(at: dir) })
    }
}

enum Tasks {
    static func commit(_ seed: Int) -> CommitID {
        let hex = String(seed, radix: 16)
        return CommitID(String(repeating: "0", count: 40 - hex.count) + hex)!
    }

    static func new(workflow: String = "wf", commits: [CommitID] = [], time: Int64 = 1_000,
                    targets: [String] = ["svc"], repo: String = "repo") -> NewTask {
        let arguments = TaskArguments(
            targets: targets.map { name in
                TargetArguments(name: name, serviceType: .k8s, build: BuildArguments(repos: commits.isEmpty
                    ? [RepoArguments(repoName: repo, branch: "main")]
                    : commits.map { RepoArguments(repoName: repo, branch: "main", pr: 0, commitID: $0) }))
            },
            releaseImages: [])
        return NewTask(workflow: workflow, project: "proj", env: "dev", trigger: TaskTrigger(kind: .api, by: "test"),
                       arguments: arguments, stages: TaskPlanner.stages(for: arguments), createTime: time)
    }
}
