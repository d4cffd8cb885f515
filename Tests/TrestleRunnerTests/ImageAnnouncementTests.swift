import Foundation
import Testing
@testable import TrestleRunner

/// The file a build job names as its image is job-controlled: it may be a link to the server's
/// secrets, a FIFO that never answers, a directory, or huge.
@Suite("Image announcements: read safely from a file the job controls")
struct ImageAnnouncementTests {
    final class Directory {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("trestle-image-\(UUID().uuidString)").path
        init() throws { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    static func refusal(_ result: Result<String?, RunnerError>) -> String? {
        if case .failure(let error) = result { return error.message }
        return nil
    }

    @Test func theFirstLineOfAPlainFileIsTheImageAndNoFileIsNoImage() throws {
        let directory = try Directory()
        let file = directory.path + "/image"
        try "registry.test/vote:1\nmore\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try ImageAnnouncement.read(file).get() == "registry.test/vote:1")
        #expect(try ImageAnnouncement.read(directory.path + "/missing").get() == nil)
    }

    @Test func aSymlinkToTheServersTokenFileIsRefusedAndItsContentNeverRead() throws {
        let directory = try Directory()
        let secret = directory.path + "/trestle-token"
        try "server-secret-token".write(toFile: secret, atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: directory.path + "/image", withDestinationPath: secret)
        let refused = try #require(Self.refusal(ImageAnnouncement.read(directory.path + "/image")))
        #expect(refused.contains("symbolic link"))
        #expect(!refused.contains("server-secret-token"))
    }

    @Test func aFIFOIsRefusedWithoutBlockingTheExecutor() throws {
        let directory = try Directory()
        let fifo = directory.path + "/image"
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(Self.refusal(ImageAnnouncement.read(fifo))?.contains("not a regular file") == true)
    }

    @Test func aDirectoryOrADeviceIsRefused() throws {
        let directory = try Directory()
        #expect(Self.refusal(ImageAnnouncement.read(directory.path))?.contains("not a regular file") == true)
        #expect(Self.refusal(ImageAnnouncement.read("/dev/zero"))?.contains("not a regular file") == true)
    }

    @Test func aFileOverFourKilobytesIsRefused() throws {
        let directory = try Directory()
        let file = directory.path + "/image"
        try String(repeating: "x", count: 4_097).write(toFile: file, atomically: true, encoding: .utf8)
        #expect(Self.refusal(ImageAnnouncement.read(file))?.contains("more than 4096 bytes") == true)
        try String(repeating: "x", count: 4_096).write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try ImageAnnouncement.read(file).get()?.count == 4_096)
    }
}

@Suite("Executor lock: one per database file, however its path is spelled")
struct ExecutorLockPathTests {
    @Test func aSymlinkToTheSameDatabaseSharesItsLock() throws {
        let directory = try ImageAnnouncementTests.Directory()
        let database = directory.path + "/trestle.sqlite"
        FileManager.default.createFile(atPath: database, contents: Data())
        try FileManager.default.createSymbolicLink(atPath: directory.path + "/alias.sqlite", withDestinationPath: database)
        let held = try ExecutorLock.acquire(storePath: database, holder: "pid 1 on test")
        #expect(throws: RunnerError.self) { try ExecutorLock.acquire(storePath: directory.path + "/alias.sqlite", holder: "pid 2") }
        #expect(throws: RunnerError.self) { try ExecutorLock.acquire(storePath: directory.path + "/./trestle.sqlite", holder: "pid 3") }
        _ = held
    }
}
