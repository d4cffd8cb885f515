import TrestleCore

/// How one job's process is started: the program and arguments that wrap its command.
struct SandboxedCommand: Sendable, Equatable {
    var executable: String
    var arguments: [String]
}

/// The bubblewrap sandbox of a job, as the arguments that start it. Pure: `SandboxLayout` was read
/// at start, and every path here is the server's own (workspace, mirrors), never a job's input.
///
/// What the job sees: the layout's system directories read-only; its workspace read-write at the
/// same path (so `$WORKSPACE` and git alternates hold); each of its repos' mirror `objects`
/// read-only; a private `/tmp`, `/dev` and `/proc` in new PID, IPC, UTS, cgroup and user
/// namespaces; the network only when allowed. Everything else (the data dir, the store, config,
/// keys, other workspaces and mirrors) is absent. Paths the admin keeps under a system directory
/// (a config in `/etc/trestle`) are covered over.
struct Sandbox: Sendable {
    var bwrap = "/usr/bin/bwrap"
    var prlimit = "/usr/bin/prlimit"
    var setpriv = "/usr/bin/setpriv"
    /// Set when the server is root: `setpriv` becomes this user before anything else runs. Not the
    /// spawn's own uid switch: swift-subprocess forks with a raw `clone3`, so glibc's `setgroups`
    /// and `setuid` in the child can wait forever on a lock another server thread held at the fork.
    var switchTo: RunAs?
    /// The ids the job has inside, which are also its ids on the host (an unprivileged user namespace).
    var uid: UInt32
    var gid: UInt32

    struct Job: Sendable {
        var layout: SandboxLayout
        var workspace: String
        var workingDirectory: String
        var mirrorObjects: [String]
        var network: Bool
        var limits: JobLimits
        /// Server paths under a shown system directory (config file, data dir, keys): directories are
        /// covered with an empty tmpfs, files with /dev/null.
        var hiddenDirectories: [String] = []
        var hiddenFiles: [String] = []
        var command: String
    }

    func command(_ job: Job) -> SandboxedCommand {
        var arguments = job.limits.processOptions + ["--", bwrap]
        // A user namespace of its own, in which the job may not make another (no nested
        // namespaces to widen the kernel surface it can reach).
        arguments += ["--unshare-all", "--unshare-user", "--disable-userns"]
        if job.network { arguments += ["--share-net"] }
        arguments += ["--die-with-parent", "--new-session", "--cap-drop", "ALL",
                      "--uid", String(uid), "--gid", String(gid), "--hostname", "trestle-job"]
        for entry in job.layout.entries {
            switch entry {
            case .directory(let path):
                let source = job.layout.root == "/" ? path : job.layout.root + path
                arguments += ["--ro-bind", source, path]
            case .symlink(let path, let target):
                arguments += ["--symlink", target, path]
            }
        }
        if job.layout.root == "/" {
            let shown = job.layout.entries.compactMap { entry -> String? in
                if case .directory(let path) = entry { return path }
                return nil
            }
            for path in job.hiddenDirectories where Self.isUnder(path, shown) { arguments += ["--tmpfs", path] }
            for path in job.hiddenFiles where Self.isUnder(path, shown) { arguments += ["--ro-bind", "/dev/null", path] }
        }
        // Memory-backed directories are capped, or writing to them would sidestep memory_mb.
        let tmpfsBytes = String((job.limits.memoryMB ?? Self.defaultTmpfsMB) << 20)
        arguments += ["--proc", "/proc", "--dev", "/dev", "--size", tmpfsBytes, "--tmpfs", "/dev/shm", "--remount-ro", "/dev",
                      "--size", tmpfsBytes, "--tmpfs", "/tmp"]
        for path in job.layout.extraReadOnly { arguments += ["--ro-bind", path, path] }
        for objects in job.mirrorObjects { arguments += ["--ro-bind", objects, objects] }
        arguments += ["--bind", job.workspace, job.workspace, "--remount-ro", "/", "--chdir", job.workingDirectory, "--"]
        // The process limit is set inside: the kernel counts it per user namespace there, so one
        // job's fork bomb cannot use up another job's processes.
        if let pids = job.limits.pidsOption { arguments += [prlimit, pids, "--"] }
        arguments += ["/bin/sh", "-c", job.command]
        guard let switchTo else { return SandboxedCommand(executable: prlimit, arguments: arguments) }
        return SandboxedCommand(executable: setpriv, arguments: [
            "--reuid", String(switchTo.uid), "--regid", String(switchTo.gid), "--clear-groups", "--", prlimit,
        ] + arguments)
    }

    /// The size of `/tmp` and `/dev/shm` when a job has no memory limit.
    static let defaultTmpfsMB = 4_096

    static func isUnder(_ path: String, _ roots: [String]) -> Bool {
        roots.contains { path == $0 || path.hasPrefix($0 + "/") }
    }
}
