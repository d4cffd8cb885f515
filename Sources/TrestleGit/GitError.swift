import CLibGit2

/// A libgit2 failure: the operation, libgit2's error class and message, and the return code.
public struct GitError: Error, Sendable, CustomStringConvertible {
    public let operation: String
    public let code: Int32
    public let errorClass: Int32
    public let message: String

    public init(operation: String, code: Int32, errorClass: Int32, message: String) {
        self.operation = operation
        self.code = code
        self.errorClass = errorClass
        self.message = message
    }

    /// The error libgit2 recorded for this thread; call it right after the failing call.
    static func last(_ code: Int32, _ operation: String) -> GitError {
        guard let error = git_error_last() else {
            return GitError(operation: operation, code: code, errorClass: 0, message: "libgit2 returned \(code)")
        }
        let message = error.pointee.message.map { String(cString: $0) } ?? "libgit2 returned \(code)"
        return GitError(operation: operation, code: code, errorClass: error.pointee.klass, message: message)
    }

    /// Throws the thread's last libgit2 error when `result` is negative.
    @discardableResult
    static func check(_ result: Int32, _ operation: @autoclosure () -> String) throws(GitError) -> Int32 {
        if result < 0 { throw last(result, operation()) }
        return result
    }

    public var isNotFound: Bool { code == GIT_ENOTFOUND.rawValue }

    public var description: String {
        "\(operation): \(message) (libgit2 error \(code), class \(errorClass))"
    }
}
