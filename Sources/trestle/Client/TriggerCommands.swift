import ArgumentParser
import Foundation

/// A repo to build, as `--repo NAME` with `--branch/--pr/--commit`, or `--repo NAME:REF` where REF
/// is a branch, `!N` for merge request N, or `@SHA` for a commit.
struct RepoSpec: Equatable {
    var name: String
    var branch = "main"
    var pr = 0
    var commit: String?

    init(_ text: String) throws {
        guard let colon = text.firstIndex(of: ":") else {
            name = text
            return
        }
        name = String(text[..<colon])
        let ref = text[text.index(after: colon)...]
        if ref.hasPrefix("!") {
            guard let number = Int(ref.dropFirst()), number > 0 else { throw ClientFailure("--repo \(text): !N needs a merge request number") }
            pr = number
        } else if ref.hasPrefix("@") {
            commit = String(ref.dropFirst())
        } else if !ref.isEmpty {
            branch = String(ref)
        }
    }

    var json: [String: Any] {
        var object: [String: Any] = ["repo_name": name, "branch": branch, "pr": pr]
        if let commit { object["commit_id"] = commit }
        return object
    }
}

/// What --wait and --json do after a create: wait for the one task, print it, exit as `status` does.
struct CreatedTaskOutput: ParsableArguments {
    @Flag(help: "Wait until the task ends; the exit code says how it ended.") var wait = false
    @Option(help: "With --wait, stop waiting after this long (e.g. 90s, 30m); the exit code is then 3.") var timeout: CommandDuration?
    @Flag(help: "Print the task as seed 000's JSON (with --wait, once it has ended).") var json = false

    func report(_ api: TrestleClient, workflow: String, id: Int64, url: String) async throws {
        if !wait && !json {
            print("\(id)\t\(url)")
            return
        }
        let tasks = wait ? try await TaskWaiter(timeout: timeout?.seconds).wait { [try await api.task(workflow: workflow, id: id)] }
                         : [try await api.task(workflow: workflow, id: id)]
        print(json ? try TaskWaiter.json(tasks) : TaskWaiter.table(tasks))
        if wait { throw TaskWaiter.exitCode(tasks) }
    }
}

struct Trigger: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a task that builds (and deploys) targets; prints its id and url.",
        discussion: """
            Each --target builds every --repo. Give a repo's ref with --branch, --pr or --commit (one repo), \
            or as --repo NAME:BRANCH, NAME:!MR or NAME:@SHA. \(ClientExit.help)
            Example: trestle trigger --workflow voting-workflow-dev --env dev --target vote --repo voting-app --branch main --wait
            """
    )

    @OptionGroup var client: ClientOptions
    @Option(help: "The workflow.") var workflow: String
    @Option(help: "The env to deploy to.") var env: String
    @Option(help: "A target to build (repeatable).") var target: [String]
    @Option(help: "A repo each target builds (repeatable): NAME, or NAME:BRANCH, NAME:!MR, NAME:@SHA.") var repo: [String]
    @Option(help: "The branch of the one --repo.") var branch: String?
    @Option(help: "The merge request of the one --repo.") var pr: Int?
    @Option(help: "The commit of the one --repo (full 40-hex id).") var commit: String?
    @OptionGroup var output: CreatedTaskOutput

    func validate() throws {
        guard !target.isEmpty else { throw ValidationError("give at least one --target") }
        guard !repo.isEmpty else { throw ValidationError("give at least one --repo") }
        if repo.count > 1 && (branch != nil || pr != nil || commit != nil) {
            throw ValidationError("with several --repo, give each ref as --repo NAME:BRANCH, NAME:!MR or NAME:@SHA")
        }
    }

    func run() async throws {
        try await reportingFailures {
            var repos = try repo.map(RepoSpec.init)
            if repos.count == 1 {
                if let branch { repos[0].branch = branch }
                if let pr { repos[0].pr = pr }
                if let commit { repos[0].commit = commit }
            }
            let body: [String: Any] = [
                "workflow_name": workflow, "env_name": env,
                "targets": target.map { ["name": $0, "build": ["repos": repos.map(\.json)]] },
            ]
            let api = try client.client()
            let created = try await api.create(try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys]))
            try await output.report(api, workflow: workflow, id: created.id, url: created.url)
        }
    }
}

struct Release: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Distribute release images to services: a deploy-only task; prints its id and url.",
        discussion: """
            \(ClientExit.help)
            Example: trestle release --workflow voting-workflow-dev --env dev --image vote=registry.example.com/vote:1.4.0 --wait
            """
    )

    @OptionGroup var client: ClientOptions
    @Option(help: "The workflow.") var workflow: String
    @Option(help: "The env to deploy to.") var env: String
    @Option(help: "SERVICE=IMAGE (repeatable).") var image: [String]
    @OptionGroup var output: CreatedTaskOutput

    func validate() throws {
        guard !image.isEmpty else { throw ValidationError("give at least one --image SERVICE=IMAGE") }
        for item in image where !item.contains("=") || item.hasPrefix("=") || item.hasSuffix("=") {
            throw ValidationError("--image \(item): write SERVICE=IMAGE, e.g. vote=registry.example.com/vote:1.4.0")
        }
    }

    func run() async throws {
        try await reportingFailures {
            let images = image.map { item -> [String: String] in
                let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
                return ["service_name": parts[0], "image": parts[1]]
            }
            let body: [String: Any] = ["workflow_name": workflow, "env_name": env, "release_images": images]
            let api = try client.client()
            let created = try await api.create(try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys]))
            try await output.report(api, workflow: workflow, id: created.id, url: created.url)
        }
    }
}
