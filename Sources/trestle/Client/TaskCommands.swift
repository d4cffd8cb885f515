import ArgumentParser
import Foundation

/// A task named on the command line: `ID --workflow W`.
struct TaskAddress: ParsableArguments {
    @Argument(help: "The task id.") var id: Int64
    @Option(help: "The task's workflow.") var workflow: String
}

struct Retry: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Restart a failed, timed-out or cancelled task: its jobs that did not pass run again.",
        discussion: "Example: trestle retry 12 --workflow voting-workflow-dev --wait"
    )

    @OptionGroup var client: ClientOptions
    @OptionGroup var task: TaskAddress
    @OptionGroup var output: CreatedTaskOutput

    func run() async throws {
        try await reportingFailures {
            let api = try client.client()
            try await api.restart(workflow: task.workflow, id: task.id)
            let restarted = try await api.task(workflow: task.workflow, id: task.id)
            try await output.report(api, workflow: task.workflow, id: task.id, url: restarted.url)
        }
    }
}

struct Cancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Cancel a created or running task; its running jobs are stopped.",
        discussion: "Example: trestle cancel 12 --workflow voting-workflow-dev"
    )

    @OptionGroup var client: ClientOptions
    @OptionGroup var task: TaskAddress

    func run() async throws {
        try await reportingFailures {
            try await client.client().cancel(workflow: task.workflow, id: task.id)
            print("cancelled task \(task.id) of \(task.workflow)")
        }
    }
}

struct Logs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a task's job logs; with --follow, keep printing until the jobs end.",
        discussion: "Example: trestle logs 12 --workflow voting-workflow-dev --job build-vote --follow"
    )

    @OptionGroup var client: ClientOptions
    @OptionGroup var task: TaskAddress
    @Option(help: "One job, e.g. build-vote (default: every job of the current attempt, in order).") var job: String?
    @Flag(help: "Keep printing output as it is written, until the jobs end.") var follow = false

    func run() async throws {
        try await reportingFailures {
            try await client.client().logs(workflow: task.workflow, id: task.id, job: job, follow: follow) { buffer in
                FileHandle.standardOutput.write(Data(buffer: buffer))
            }
        }
    }
}
