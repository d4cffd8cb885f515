import Foundation
import Testing
import TrestleCore
@testable import TrestleRunner

@Suite("Sandbox arguments: what a job's bubblewrap sandbox shows it")
struct SandboxArgumentsTests {
    static let layout = SandboxLayout(root: "/", entries: [
        .directory("/usr"), .symlink("/bin", target: "usr/bin"), .directory("/etc"),
    ])
    static let sandbox = Sandbox(uid: 65534, gid: 65534)

    static func job(network: Bool = true, limits: JobLimits = JobLimits(memoryMB: 64, pids: 32),
                    layout: SandboxLayout = layout, hidden: [String] = [], hiddenFiles: [String] = []) -> Sandbox.Job {
        Sandbox.Job(layout: layout, workspace: "/data/workspaces/wf/1/1/build-vote", workingDirectory: "/data/workspaces/wf/1/1/build-vote/voting-app",
                    mirrorObjects: ["/data/mirrors/voting-app.git/objects"], network: network, limits: limits,
                    hiddenDirectories: hidden, hiddenFiles: hiddenFiles, command: "make $TARGET")
    }

    /// The pairs of `option source target` in the arguments.
    static func mounts(_ arguments: [String], _ option: String) -> [String] {
        arguments.indices.filter { arguments[$0] == option && $0 + 2 < arguments.count }.map { "\(arguments[$0 + 1]) \(arguments[$0 + 2])" }
    }

    @Test("limits wrap bwrap; the system directories are read-only, the workspace alone writable, the mirror's objects read-only")
    func layoutOfAJob() {
        let started = Self.sandbox.command(Self.job())
        let arguments = started.arguments
        #expect(started.executable == "/usr/bin/prlimit")
        #expect(Array(arguments.prefix(3)) == ["--data=67108864", "--", "/usr/bin/bwrap"])
        #expect(Self.mounts(arguments, "--ro-bind").contains("/usr /usr"))
        #expect(Self.mounts(arguments, "--ro-bind").contains("/etc /etc"))
        #expect(Self.mounts(arguments, "--symlink").contains("usr/bin /bin"))
        #expect(Self.mounts(arguments, "--ro-bind").contains("/data/mirrors/voting-app.git/objects /data/mirrors/voting-app.git/objects"))
        #expect(Self.mounts(arguments, "--bind") == ["/data/workspaces/wf/1/1/build-vote /data/workspaces/wf/1/1/build-vote"])
        for option in ["--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session", "--share-net"] {
            #expect(arguments.contains(option))
        }
        // /tmp and /dev/shm are memory: capped at the memory limit; /dev itself is read-only.
        #expect(Self.mounts(arguments, "--size").contains("67108864 --tmpfs"))
        #expect(arguments.indices.contains { arguments[$0] == "--size" && arguments[$0 + 2] == "--tmpfs" && arguments[$0 + 3] == "/tmp" })
        #expect(arguments.indices.contains { arguments[$0] == "--size" && arguments[$0 + 2] == "--tmpfs" && arguments[$0 + 3] == "/dev/shm" })
        #expect(arguments.indices.contains { arguments[$0] == "--remount-ro" && arguments[$0 + 1] == "/dev" })
        #expect(Self.mounts(arguments, "--uid").isEmpty == false && arguments[arguments.firstIndex(of: "--uid")! + 1] == "65534")
        // The command is data after `--`: the process limit set inside, then the shell.
        #expect(Array(arguments.suffix(6)) == ["/usr/bin/prlimit", "--nproc=32", "--", "/bin/sh", "-c", "make $TARGET"])
        #expect(!arguments.contains { $0.hasPrefix("/data/trestle") || $0 == "/data" })
    }

    @Test("run as root, the job's user is taken by setpriv before anything else runs")
    func userSwitchIsAnExec() {
        var sandbox = Self.sandbox
        sandbox.switchTo = RunAs(uid: 65534, gid: 65534)
        let started = sandbox.command(Self.job())
        #expect(started.executable == "/usr/bin/setpriv")
        #expect(Array(started.arguments.prefix(7)) == ["--reuid", "65534", "--regid", "65534", "--clear-groups", "--", "/usr/bin/prlimit"])
    }

    @Test("network: false leaves the job in its own network namespace")
    func networkOff() {
        #expect(!Self.sandbox.command(Self.job(network: false)).arguments.contains("--share-net"))
    }

    @Test("server paths under a shown system directory are covered; elsewhere they are absent anyway")
    func hiddenPaths() {
        let arguments = Self.sandbox.command(Self.job(hidden: ["/etc/trestle", "/data"], hiddenFiles: ["/etc/ssh-keys/deploy", "/home/ci/key"])).arguments
        let tmpfs = arguments.indices.filter { arguments[$0] == "--tmpfs" }.map { arguments[$0 + 1] }
        #expect(tmpfs.contains("/etc/trestle"))
        #expect(!tmpfs.contains("/data"))
        #expect(Self.mounts(arguments, "--ro-bind").contains("/dev/null /etc/ssh-keys/deploy"))
        #expect(!Self.mounts(arguments, "--ro-bind").contains("/dev/null /home/ci/key"))
        // Covered before the workspace is bound, so a workspace under a covered directory still appears.
        #expect(arguments.firstIndex(of: "/etc/trestle")! < arguments.firstIndex(of: "--bind")!)
    }

    @Test("a rootfs is shown in place of the host's directories, from its own paths")
    func rootfsLayout() {
        let rootfs = SandboxLayout(root: "/srv/images/debian-12", entries: [.directory("/usr"), .symlink("/lib", target: "usr/lib")])
        let arguments = Self.sandbox.command(Self.job(layout: rootfs, hidden: ["/etc/trestle"])).arguments
        #expect(Self.mounts(arguments, "--ro-bind").contains("/srv/images/debian-12/usr /usr"))
        #expect(!Self.mounts(arguments, "--ro-bind").contains("/usr /usr"))
        #expect(Self.mounts(arguments, "--symlink").contains("usr/lib /lib"))
        #expect(!arguments.contains("/etc/trestle"))
    }

    @Test("a rootfs directory without /bin/sh is refused, naming it")
    func rootfsNeedsAShell() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("rootfs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty.appendingPathComponent("usr"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        #expect(throws: RunnerError.self) { try SandboxLayout.rootfs(empty.path) }
        #expect(throws: RunnerError.self) { try SandboxLayout.rootfs(empty.path + "/missing") }
    }

    @Test("without a sandbox a job still gets its limits but the process limit")
    func unsandboxedLimits() {
        let (process, directory) = JobIsolationSetup.unsandboxed().command(Self.job(), rootfs: nil)
        // Unsandboxed, the process limit would count the server's own threads: it needs the sandbox.
        #expect(process.arguments == ["--data=67108864", "--", "/bin/sh", "-c", "make $TARGET"])
        #expect(directory == "/data/workspaces/wf/1/1/build-vote/voting-app")
    }
}
