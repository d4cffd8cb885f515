import ArgumentParser

/// The exit codes of the client commands, for scripts (`trestle status $SHA --wait && deploy`).
enum ClientExit {
    /// Every task passed (or the request succeeded).
    static let passed = ExitCode(0)
    /// A task failed, timed out or was cancelled.
    static let failed = ExitCode(1)
    /// No task for that commit.
    static let noTask = ExitCode(2)
    /// Tasks are still running (without --wait, or when --timeout passed).
    static let running = ExitCode(3)
    /// Usage, auth or connection error; the server's reason is printed on stderr.
    static let error = ExitCode(4)

    static let help = """
        Exit codes: 0 every task passed; 1 a task failed, timed out or was cancelled; 2 no task for \
        that commit; 3 still running (without --wait, or --timeout passed); 4 usage, auth or connection error.
        """
}
