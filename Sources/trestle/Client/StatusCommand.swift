import ArgumentParser
import Foundation

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the tasks that built a commit; with --wait, wait until they end.",
        discussion: """
            One line per task: id, workflow, status, duration and url (--json: seed 000's JSON array).
            \(ClientExit.help)
            Example: trestle status 1a2b3c4d --workflow voting-workflow-dev --wait --timeout 30m && ./deploy.sh
            """
    )

    @OptionGroup var client: ClientOptions
    @Argument(help: "A commit id or prefix of at least 4 hex characters.") var commit: String
    @Option(help: "Only the tasks of this workflow.") var workflow: String?
    @Flag(help: "Wait until every task has ended (and for one to appear).") var wait = false
    @Option(help: "With --wait, stop waiting after this long (e.g. 90s, 30m, 2h); the exit code is then 3.")
    var timeout: CommandDuration?
    @Flag(help: "Print seed 000's JSON array instead of lines.") var json = false

    func run() async throws {
        try await reportingFailures {
            let api = try client.client()
            let poll = { try await api.tasks(commit: commit).filter { workflow == nil || $0.workflow == workflow } }
            let tasks = wait ? try await TaskWaiter(timeout: timeout?.seconds).wait(poll) : try await poll()
            if json {
                print(try TaskWaiter.json(tasks))
            } else if tasks.isEmpty {
                FileHandle.standardError.write(Data("trestle: no task built commit \(commit)\(workflow.map { " in workflow \($0)" } ?? "")\n".utf8))
            } else {
                print(TaskWaiter.table(tasks))
            }
            throw TaskWaiter.exitCode(tasks)
        }
    }
}
