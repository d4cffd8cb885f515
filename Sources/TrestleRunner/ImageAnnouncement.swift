import Foundation

/// The image a build job announces in `$TRESTLE_IMAGE_FILE`: the file's first line.
///
/// Job code chooses what that path is. Followed as a link it would copy any file the server can
/// read (its token files, the store) into the task JSON; as a FIFO or device it would block the
/// executor's thread forever. So the file is opened without following a link and without
/// blocking, must be a regular file, and at most `maxBytes` are read.
enum ImageAnnouncement {
    static let maxBytes = 4_096

    /// nil when the job wrote no file or an empty one; the failure says what was refused.
    static func read(_ path: String) -> Result<String?, RunnerError> {
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        guard descriptor >= 0 else {
            let code = errno
            if code == ENOENT { return .success(nil) }
            if code == ELOOP {
                return .failure(RunnerError("$TRESTLE_IMAGE_FILE is a symbolic link; write the image name into the file itself"))
            }
            return .failure(RunnerError("cannot open $TRESTLE_IMAGE_FILE: \(String(cString: strerror(code)))"))
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else {
            return .failure(RunnerError("$TRESTLE_IMAGE_FILE is not a regular file (a FIFO, device or directory);"
                + " write the image name into a plain file"))
        }
        var buffer = [UInt8](repeating: 0, count: maxBytes + 1)
        var count = 0
        while count < buffer.count {
            let read = buffer.withUnsafeMutableBytes { raw in
                raw.baseAddress.map { Glibc.read(descriptor, $0 + count, raw.count - count) } ?? 0
            }
            if read < 0, errno == EINTR { continue }
            guard read > 0 else { break }
            count += read
        }
        guard count <= maxBytes else {
            return .failure(RunnerError("$TRESTLE_IMAGE_FILE holds more than \(maxBytes) bytes; write only the image name"))
        }
        let line = String(decoding: buffer[..<count], as: UTF8.self).split(whereSeparator: \.isNewline).first
            .map { $0.trimmingCharacters(in: .whitespaces) }
        return .success(line?.isEmpty == false ? line : nil)
    }
}
