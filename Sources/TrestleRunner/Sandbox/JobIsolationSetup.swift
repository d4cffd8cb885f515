import Foundation
import Logging
import Subprocess
import TrestleCore
#if canImport(System)
import System
#else
import SystemPackage
#endif
#if canImport(Glibc)
import Glibc
#endif

/// How this process starts jobs, settled once at start: the sandbox (or none), who jobs run as,
/// the system directories they see. A sandbox that cannot start refuses the server's start
/// instead of running jobs unisolated.
public struct JobIsolationSetup: Sendable {
    public let isolation: JobIsolation
    let sandbox: Sandbox
    /// Set when the server is root: the process switches to this user before starting the job.
    let runAs: RunAs?
    let host: SandboxLayout
    let rootfs: [String: SandboxLayout]
    let hiddenDirectories: [String]
    let hiddenFiles: [String]
    public let prlimit: String

    /// No sandbox, limits only: for tests of pure runners and for `isolation: none`.
    public static func unsandboxed(prlimit: String = "/usr/bin/prlimit") -> JobIsolationSetup {
        JobIsolationSetup(isolation: .none, sandbox: Sandbox(uid: getuid(), gid: getgid()), runAs: nil,
                          host: SandboxLayout(root: "/", entries: []), rootfs: [:], hiddenDirectories: [], hiddenFiles: [],
                          prlimit: prlimit)
    }

    /// Reads the layouts and starts one sandbox as jobs will get it; throws what is wrong and what to do.
    public static func prepare(config: TrestleConfig, configFile: String?, logger: Logger) async throws(RunnerError) -> JobIsolationSetup {
        guard let prlimit = executable("prlimit") else {
            throw RunnerError("cannot start jobs: prlimit (util-linux) is not installed, and it sets each job's limits; install it with apt-get install -y util-linux")
        }
        guard config.executor.isolation == .bwrap else {
            logger.warning("executor.isolation is none: jobs run as the server's own user, unsandboxed, and can read its secrets, store and token files; use it only for trusted code")
            var setup = unsandboxed(prlimit: prlimit)
            setup = JobIsolationSetup(isolation: .none, sandbox: setup.sandbox, runAs: nil, host: setup.host, rootfs: [:],
                                      hiddenDirectories: [], hiddenFiles: [], prlimit: prlimit)
            return setup
        }
        guard let bwrap = executable("bwrap") else {
            throw RunnerError("executor.isolation is bwrap but bubblewrap is not installed; install it (apt-get install -y bubblewrap) or, for trusted code only, set executor.isolation: none")
        }
        let root = getuid() == 0
        let runAs = root ? config.executor.runAs : nil
        guard runAs == nil || executable("setpriv") != nil else {
            throw RunnerError("cannot start jobs as uid \(config.executor.runAs.uid): setpriv (util-linux) is not installed; install it with apt-get install -y util-linux")
        }
        let sandbox = Sandbox(bwrap: bwrap, prlimit: prlimit, setpriv: executable("setpriv") ?? "/usr/bin/setpriv",
                              switchTo: runAs, uid: runAs?.uid ?? getuid(), gid: runAs?.gid ?? getgid())
        var rootfs: [String: SandboxLayout] = [:]
        for target in config.workflows.flatMap(\.targets) {
            guard let path = target.rootfs, rootfs[path] == nil else { continue }
            do {
                let layout = try SandboxLayout.rootfs(path)
                guard FileManager.default.isExecutableFile(atPath: path + "/usr/bin/prlimit") else {
                    throw RunnerError("rootfs \(path) has no /usr/bin/prlimit, which sets the job's process limit inside the sandbox; install util-linux into it")
                }
                rootfs[path] = layout
            } catch let error as RunnerError {
                throw RunnerError("target '\(target.name)': \(error.message)")
            } catch {
                throw RunnerError("target '\(target.name)': cannot read rootfs \(path): \(error)")
            }
        }
        let (directories, files) = hiddenPaths(config: config, configFile: configFile)
        let setup = JobIsolationSetup(isolation: .bwrap, sandbox: sandbox, runAs: runAs, host: .host(), rootfs: rootfs,
                                      hiddenDirectories: directories, hiddenFiles: files, prlimit: prlimit)
        try await setup.probe(workspaces: Workspaces(dataDir: config.dataDir))
        logger.info("jobs run in bubblewrap sandboxes", metadata: [
            "run_as": "\(sandbox.uid):\(sandbox.gid)", "bwrap": "\(bwrap)",
            "limits": "rlimits through prlimit (\(cgroupNote()))",
        ])
        return setup
    }

    /// Starts `true` in a sandbox built as a job's, with a workspace under the data dir.
    private func probe(workspaces: Workspaces) async throws(RunnerError) {
        let workspace = URL(fileURLWithPath: workspaces.root).appendingPathComponent(".sandbox-probe-\(getpid())").path
        do {
            try workspaces.makeFresh(workspace)
            try workspaces.handOver(workspace, to: runAs)
        } catch {
            throw RunnerError("cannot prepare the sandbox check in \(workspace): \(error)")
        }
        defer { workspaces.remove(workspace) }
        let command = sandbox.command(Sandbox.Job(layout: host, workspace: workspace, workingDirectory: workspace, mirrorObjects: [],
                                                  network: false, limits: JobLimits.defaults, command: "exit 0"))
        let advice = "install bubblewrap, allow user namespaces (sysctl -w user.max_user_namespaces=15000), make the data dir traversable by uid \(sandbox.uid) (chmod o+x on it and its parents), or, for trusted code only, set executor.isolation: none"
        do {
            let result = try await Subprocess.run(.path(FilePath(command.executable)), arguments: Arguments(command.arguments),
                                                  environment: .custom([:]), workingDirectory: "/",
                                                  output: .string(limit: 8_192), error: .string(limit: 8_192))
            guard case .exited(0) = result.terminationStatus else {
                let said = result.standardError.trimmingCharacters(in: .whitespacesAndNewlines)
                throw RunnerError("executor.isolation is bwrap but a sandbox cannot start (\(result.terminationStatus)): \(said.isEmpty ? "no message" : said); \(advice)")
            }
        } catch let error as RunnerError {
            throw error
        } catch {
            throw RunnerError("executor.isolation is bwrap but a sandbox cannot start: \(error); \(advice)")
        }
    }

    /// The server's own paths, to cover wherever they sit under a shown system directory.
    static func hiddenPaths(config: TrestleConfig, configFile: String?) -> (directories: [String], files: [String]) {
        let absolute = { (path: String) -> String in URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path }
        let store = absolute(config.storage.sqlitePath)
        // The store's directory, or at least its journal, shared memory and lock files beside it.
        var directories = [absolute(config.dataDir), URL(fileURLWithPath: store).deletingLastPathComponent().path]
        var files = ["", "-wal", "-shm", "-journal", ".executor-lock"].map { store + $0 }
        if let configFile {
            let file = absolute(configFile)
            files.append(file)
            directories.append(URL(fileURLWithPath: file).deletingLastPathComponent().path)
        }
        files += config.repos.compactMap(\.sshKey).map(absolute)
        // A directory shown whole (such as /etc) is never covered: the job needs it. Only what
        // exists can be covered, and a file in a covered directory already is.
        let shown = Set(SandboxLayout.hostDirectories.map { "/" + $0 } + ["/"])
        let exists = { (path: String, directory: Bool) -> Bool in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue == directory
        }
        let hiddenDirectories = Array(Set(directories.filter { !shown.contains($0) && exists($0, true) })).sorted()
        let hiddenFiles = Array(Set(files.filter { exists($0, false) && !Sandbox.isUnder($0, hiddenDirectories) })).sorted()
        return (hiddenDirectories, hiddenFiles)
    }

    static func cgroupNote() -> String {
        if let controllers = try? String(contentsOfFile: "/sys/fs/cgroup/cgroup.controllers", encoding: .utf8) {
            return "cgroup v2 is mounted with \(controllers.trimmingCharacters(in: .whitespacesAndNewlines)); Trestle does not use it yet"
        }
        return "no cgroup v2 hierarchy at /sys/fs/cgroup on this machine"
    }

    static func executable(_ name: String) -> String? {
        for directory in ["/usr/bin", "/bin", "/usr/sbin", "/usr/local/bin"] where FileManager.default.isExecutableFile(atPath: directory + "/" + name) {
            return directory + "/" + name
        }
        return nil
    }

    /// How a job's command is started: in its sandbox, or with limits only.
    func command(_ job: Sandbox.Job, rootfs path: String?) -> (process: SandboxedCommand, workingDirectory: String) {
        switch isolation {
        case .none:
            // No process limit: unsandboxed, the kernel would count the server's own threads and
            // every other job of its user against it (and not at all for root).
            return (SandboxedCommand(executable: prlimit, arguments: job.limits.processOptions + ["--", "/bin/sh", "-c", job.command]),
                    job.workingDirectory)
        case .bwrap:
            var job = job
            job.layout = path.flatMap { rootfs[$0] } ?? host
            job.hiddenDirectories = hiddenDirectories
            job.hiddenFiles = hiddenFiles
            // The process starts in / on the host: the job's user may not be able to enter the data dir.
            return (sandbox.command(job), "/")
        }
    }
}
