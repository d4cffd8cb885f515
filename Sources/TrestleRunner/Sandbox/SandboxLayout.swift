import Foundation
import TrestleCore

/// The top-level entries of a system root a sandbox shows its jobs: the host's system directories,
/// or everything of a target's `rootfs` but its kernel filesystems. Read once at start, so building
/// a job's sandbox touches no disk.
public struct SandboxLayout: Sendable, Equatable {
    public enum Entry: Sendable, Equatable {
        case directory(String)
        /// A merged-/usr link such as `/bin -> usr/bin`, recreated as the same link.
        case symlink(String, target: String)
    }

    /// The root the entries are read from: `/`, or a rootfs directory.
    public var root: String
    public var entries: [Entry]
    /// Directories outside the entries that a shown file points into: the resolver's directory
    /// when `/etc/resolv.conf` links into `/run` (systemd-resolved), so jobs keep DNS.
    public var extraReadOnly: [String] = []

    public init(root: String, entries: [Entry], extraReadOnly: [String] = []) {
        self.root = root
        self.entries = entries
        self.extraReadOnly = extraReadOnly
    }

    /// The host's directories jobs may read: programs, libraries and `/etc`. Never `/var`, `/home`,
    /// `/root`, `/srv`, `/run` or the data dir, wherever it is.
    public static let hostDirectories = ["usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc", "opt"]
    /// What a rootfs keeps to itself: each sandbox makes its own.
    static let kernelDirectories: Set<String> = ["proc", "dev", "sys", "tmp", "run"]

    public static func host() -> SandboxLayout {
        var extra: [String] = []
        if let resolver = try? FileManager.default.destinationOfSymbolicLink(atPath: "/etc/resolv.conf") {
            let target = URL(fileURLWithPath: resolver, relativeTo: URL(fileURLWithPath: "/etc/")).standardizedFileURL
            let directory = target.deletingLastPathComponent().path
            if directory.hasPrefix("/run/"), FileManager.default.fileExists(atPath: directory) { extra.append(directory) }
        }
        return SandboxLayout(root: "/", entries: hostDirectories.compactMap { entry(root: "/", name: $0) }, extraReadOnly: extra)
    }

    /// Every top-level entry of a rootfs directory, which must hold `/bin/sh`.
    public static func rootfs(_ path: String) throws -> SandboxLayout {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw RunnerError("rootfs \(path) is not a directory; prepare it with debootstrap or unpack an image into it (see the README)")
        }
        guard FileManager.default.isExecutableFile(atPath: path + "/bin/sh") else {
            throw RunnerError("rootfs \(path) has no executable /bin/sh; jobs run their commands with it")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: path).sorted()
        return SandboxLayout(root: path, entries: names.filter { !kernelDirectories.contains($0) }.compactMap { entry(root: path, name: $0) })
    }

    private static func entry(root: String, name: String) -> Entry? {
        let path = root == "/" ? "/" + name : root + "/" + name
        if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) {
            return .symlink("/" + name, target: target)
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { return nil }
        return .directory("/" + name)
    }
}
