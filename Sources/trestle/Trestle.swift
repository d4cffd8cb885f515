import ArgumentParser

@main
struct Trestle: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trestle",
        abstract: "A GitLab/Git webhook-driven CI bridge.",
        discussion: """
            Start the server with `trestle serve --config samples/trestle.yaml`;
            check a config file with `trestle check-config FILE`.
            """,
        subcommands: [Serve.self, CheckConfig.self, Resolve.self, MirrorCommand.self, Deliveries.self, Explain.self, Logs.self,
                      BenchSeed.self]
    )
}
