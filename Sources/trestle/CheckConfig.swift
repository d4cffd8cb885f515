import ArgumentParser
import Foundation
import TrestleCore

struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a config file and explain what it declares.",
        discussion: """
            Exit code 0 when the file is valid, 2 when it is not (every problem is listed
            with the file, line, key path and what to write instead).
            Example:
              TRESTLE_TOKEN=x TRESTLE_WEBHOOK_TOKEN=y trestle check-config samples/trestle.yaml
            """
    )

    @Argument(help: "The YAML config file.")
    var file: String

    func run() throws {
        let config = try ConfigFile.loadForCommand(file)
        print(ConfigSummary.describe(config, file: file))
    }
}

enum ConfigSummary {
    static func describe(_ config: TrestleConfig, file: String) -> String {
        var lines = ["\(file): valid"]
        lines.append("  server: listens on \(config.server.listen), links under \(config.server.externalURL), bodies up to \(config.server.maxBodyBytes) bytes")
        if let postgres = config.storage.postgres {
            lines.append("  storage: PostgreSQL at \(URLRedaction.redact(postgres.url.value)) (pool of \(postgres.poolSize)); data dir \(config.dataDir)")
        } else {
            lines.append("  storage: SQLite at \(config.storage.sqlitePath) (synchronous \(config.storage.synchronous.rawValue)); data dir \(config.dataDir)")
        }
        let executor = config.executor
        let isolation = executor.isolation == .bwrap
            ? "jobs in bubblewrap sandboxes as \(executor.runAs) when run as root"
            : "jobs UNSANDBOXED (isolation: none): they can read the server's secrets"
        lines.append("  executor: \(executor.concurrency) tasks at once; \(isolation); limits \(describe(executor.limits))")
        for token in config.auth.tokens {
            let scopes = token.scopes.map(\.rawValue).sorted().joined(separator: ", ")
            lines.append("  token '\(token.name)': scopes \(scopes)")
        }
        for repo in config.repos {
            let project = repo.gitlabProject.map { ", GitLab project \($0)" } ?? ""
            let hook = repo.webhookToken == nil ? ", no webhook secret" : ", webhook secret set"
            lines.append("  repo '\(repo.name)': \(URLRedaction.redact(repo.url))\(project)\(hook)")
        }
        for workflow in config.workflows {
            lines.append("  workflow '\(workflow.name)' (project \(workflow.project), env \(workflow.env ?? "-"), timeout \(workflow.timeout)s)")
            for secret in workflow.secrets {
                let reach = secret.mergeRequests ? "also same-project merge requests" : "not merge requests"
                lines.append("    secret \(secret.name) for \(secret.events.map(\.rawValue).joined(separator: ", ")) (\(reach))")
            }
            for target in workflow.targets {
                var extras = ""
                if let rootfs = target.rootfs { extras += "; rootfs \(rootfs)" }
                if !target.network { extras += "; no network" }
                if target.deployMergeRequests { extras += "; deploys merge requests" }
                lines.append("    target '\(target.name)' [\(target.serviceType.rawValue)] builds \(target.repos.joined(separator: ", ")); timeout \(target.timeout)s\(extras)")
            }
            for trigger in workflow.triggers {
                let events = trigger.events.map(\.rawValue).joined(separator: ", ")
                lines.append("    trigger on \(events) in \(trigger.repo) → \(trigger.targets.joined(separator: ", "))")
            }
        }
        return lines.joined(separator: "\n")
    }

    static func describe(_ limits: JobLimits) -> String {
        let parts = [limits.memoryMB.map { "memory \($0) MB" }, limits.pids.map { "\($0) processes" },
                     limits.cpuSeconds.map { "\($0) CPU s" }, limits.fileSizeMB.map { "files \($0) MB" },
                     limits.openFiles.map { "\($0) open files" }].compactMap { $0 }
        return parts.isEmpty ? "none" : parts.joined(separator: ", ")
    }
}
