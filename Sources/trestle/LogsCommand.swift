import ArgumentParser
import Foundation
import TrestleCore
import TrestleRunner
import TrestleStore

struct Logs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a task's job logs; with --follow, keep printing until the jobs end.",
        discussion: """
            Reads the store and the log files under the data dir, beside a running server.
            Example: trestle logs --config trestle.yaml voting-workflow-dev 12 --job build-vote --follow
            """
    )

    @OptionGroup var options: StoreOptions
    @Argument(help: "The workflow name.") var workflow: String
    @Argument(help: "The task id.") var taskID: Int64
    @Option(help: "One job, e.g. build-vote (default: every job of the attempt, in order).") var job: String?
    @Option(help: "An earlier attempt (default: the current one).") var attempt: Int?
    @Flag(help: "Keep printing output as it is written, until the jobs end.") var follow = false

    func run() async throws {
        let (config, store) = try options.openStore()
        do {
            try await print(config: config, store: store)
            try await store.close()
        } catch {
            try? await store.close()
            throw error
        }
    }

    private func print(config: TrestleConfig, store: SQLiteTaskStore) async throws {
        guard let task = try await store.task(workflow: workflow, taskID: taskID) else {
            throw ValidationError("no task \(taskID) of workflow '\(workflow)' in \(config.storage.sqlitePath)")
        }
        let number = attempt ?? task.attempt
        guard task.attempts.contains(where: { $0.number == number }) else {
            throw ValidationError("task \(taskID) has attempts 1 to \(task.attempt), not \(number)")
        }
        let jobs = JobLogStream.jobs(of: task, attempt: number)
        if let job, !jobs.contains(job) {
            throw ValidationError("job '\(job)' is not in attempt \(number); its jobs are \(jobs.joined(separator: ", "))")
        }
        let stream = JobLogStream(store: store, logs: JobLogs(dataDir: config.dataDir))
        try await stream.send(workflow: workflow, taskID: taskID, attempt: number, jobs: job.map { [$0] } ?? jobs,
                              follow: follow) { data in
            FileHandle.standardOutput.write(data)
        }
    }
}
