import ArgumentParser
import Foundation

struct Retry: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Restart a failed, timed-out or cancelled task: its jobs that did not pass run again.",
        discussion: "Example: trestle retry 12 --workflow voting-workflow-dev --wait"
    )

    @OptionGroup var client: ClientOptions
    @Argument(help: "The task id.") var id: Int64
    @Option(help: "The task's workflow.") var workflow: String
    @OptionGroup var output: CreatedTaskOutput

    func run() async throws {
        try await reportingFailures {
            let api = try client.client()
            try await api.restart(workflow: workflow, id: id)
            let task = try await api.task(workflow: workflow, id: id)
            try await output.report(api, workflow: workflow, id: id, url: task.url)
        }
    }
}

struct Cancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Cancel a created or running task; its running jobs are stopped.",
        discussion: "Example: trestle cancel 12 --workflow voting-workflow-dev"
    )

    @OptionGroup var client: ClientOptions
    @Argument(help: "The task id.") var id: Int64
    @Option(help: "The task's workflow.") var workflow: String

    func run() async throws {
        try await reportingFailures {
            try await client.client().cancel(workflow: workflow, id: id)
            print("cancelled task \(id) of \(workflow)")
        }
    }
}

struct Logs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a task's job logs; with --follow, keep printing until the jobs end.",
        discussion: "Example: trestle logs 12 --workflow voting-workflow-dev --job build-vote --follow"
    )

    @OptionGroup var client: ClientOptions
    @Argument(help: "The task id.") var id: Int64
    @Option(help: "The task's workflow.") var workflow: String
    @Option(help: "One job, e.g. build-vote (default: every job of the current attempt, in order).") var job: String?
    @Flag(help: "Keep printing output as it is written, until the jobs end.") var follow = false

    func run() async throws {
        try await reportingFailures {
            try await client.client().logs(workflow: workflow, id: id, job: job, follow: follow) { buffer in
                FileHandle.standardOutput.write(Data(buffer: buffer))
            }
        }
    }
}
