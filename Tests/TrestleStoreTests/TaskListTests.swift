import Foundation
import Testing
import TrestleCore
import TrestleStore

@Suite("The dashboard's task list in the store")
struct TaskListTests {
    static func task(workflow: String, branch: String, pr: Int = 0) -> NewTask {
        let arguments = TaskArguments(targets: [TargetArguments(name: "svc", serviceType: .k8s, build: BuildArguments(
            repos: [RepoArguments(repoName: "repo", branch: branch, pr: pr, commitID: Tasks.commit(1))]))], releaseImages: [])
        return NewTask(workflow: workflow, project: "p", env: "dev", trigger: TaskTrigger(kind: .api, by: "test"), arguments: arguments,
                       stages: TaskPlanner.stages(for: arguments), createTime: 5)
    }

    @Test("newest first across workflows, filtered by workflow, status and branch (or !N), continued below a key",
          arguments: StoreKind.allCases)
    func filtersAndPages(kind: StoreKind) async throws {
        let (store, close) = try await kind.open()
        try await store.createTasks([
            Self.task(workflow: "a", branch: "main"), Self.task(workflow: "b", branch: "feature"),
            Self.task(workflow: "a", branch: "feature"), Self.task(workflow: "a", branch: "main", pr: 12),
        ])
        let names = { (entries: [TaskListEntry]) in entries.map { "\($0.summary.workflow)\($0.summary.taskID)" } }
        let all = try await store.taskList(TaskListQuery())
        #expect(names(all) == ["a3", "a2", "b1", "a1"])
        #expect(names(try await store.taskList(TaskListQuery(workflow: "a"))) == ["a3", "a2", "a1"])
        #expect(names(try await store.taskList(TaskListQuery(branch: "feature"))) == ["a2", "b1"])
        #expect(names(try await store.taskList(TaskListQuery(branch: "!12"))) == ["a3"])
        #expect(names(try await store.taskList(TaskListQuery(workflow: "a", branch: "feature"))) == ["a2"])
        _ = try await store.claimTasks(RunLimits(total: 1), runner: "r", at: 6)
        #expect(names(try await store.taskList(TaskListQuery(status: .running))) == ["a1"])
        let firstPage = try await store.taskList(TaskListQuery(limit: 2))
        #expect(names(firstPage) == ["a3", "a2"])
        #expect(names(try await store.taskList(TaskListQuery(before: firstPage.last?.key, limit: 2))) == ["b1", "a1"])
        #expect(all.first?.arguments.listedBranch == "!12")
        try await close()
    }
}
