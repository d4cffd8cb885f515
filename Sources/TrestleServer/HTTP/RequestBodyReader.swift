import Foundation
import Hummingbird
import TrestleCore

/// Reads request bodies no larger than the route's limit, within `server.body_timeout`. Declared
/// oversize bodies were already refused by `BodyLimitMiddleware`; a chunked one that runs past the
/// limit throws, and `ErrorMiddleware` answers 413. A body still arriving at the deadline (a slow
/// client holding a buffer and a task) answers 408 and closes the connection.
enum RequestBodyReader {
    static func collect(_ request: Request, server: ServerConfig) async throws -> Data {
        let limit = server.bodyLimit(forPath: request.uri.path).bytes
        let seconds = server.bodyTimeout
        let body = request.body
        return try await withThrowingTaskGroup(of: Data?.self) { group in
            group.addTask { Data(try await body.collect(upTo: limit).readableBytesView) }
            group.addTask {
                try await Task.sleep(for: .seconds(seconds))
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let data = first else {
                throw APIError.bodyTimeout(seconds: seconds)
            }
            return data
        }
    }

    /// A JSON decoding failure in words a caller can act on, naming the field.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "body is not valid JSON" }
        switch error {
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)): expected \(typeName(type))"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)): expected \(typeName(type)), got null"
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])) is required"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty
                ? "body is not valid JSON: send a JSON object with workflow_name, env_name and targets or release_images"
                : "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "body is not valid JSON"
        }
    }

    private static func path(_ codingPath: [any CodingKey]) -> String {
        var text = ""
        for key in codingPath {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text.isEmpty ? "body" : text
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type: "a whole number"
        case is [Any].Type: "a list"
        default: "an object"
        }
    }
}
