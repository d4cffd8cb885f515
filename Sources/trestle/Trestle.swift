import ArgumentParser
import Foundation

@main
struct Trestle: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trestle",
        abstract: "A GitLab/Git webhook-driven CI bridge.",
        discussion: """
            Start the server with `trestle serve --config samples/trestle.yaml`;
            check a config file with `trestle check-config FILE`.
            The client commands (status, trigger, release, retry, cancel, logs) talk to a running server
            at $TRESTLE_URL with $TRESTLE_TOKEN. Shell completions: trestle --generate-completion-script bash
            """,
        subcommands: [Serve.self, Worker.self, CheckConfig.self, Status.self, Trigger.self, Release.self, Retry.self, Cancel.self, Logs.self,
                      Resolve.self, MirrorCommand.self, Deliveries.self, Explain.self, Migrate.self, StoreCommand.self, BenchSeed.self]
    )

    /// ArgumentParser's own main, except that a usage error exits 4 (the client commands'
    /// documented code for usage, auth and connection errors) rather than 64.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(ClientExit.error.rawValue)
            }
            exit(withError: error)
        }
    }
}
