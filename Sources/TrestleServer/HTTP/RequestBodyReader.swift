import Foundation
import Hummingbird
import TrestleCore

/// Reads request bodies no larger than the route's limit, within `server.body_timeout`. Declared
/// oversize bodies were already refused by `BodyLimitMiddleware`; one that runs past the limit is
/// a 413. The deadline is checked as each part of the body arrives, so a client dribbling it
/// answers 408 and loses the connection; one that sends nothing at all is closed by
/// `server.idle_timeout`. (A timer task per request cost half of webhook ingest's throughput.)
enum RequestBodyReader {
    static func collect(_ request: Request, server: ServerConfig) async throws -> Data {
        let limit = server.bodyLimit(forPath: request.uri.path)
        let deadline = ContinuousClock.now + .seconds(server.bodyTimeout)
        var collected = ByteBuffer()
        for try await part in request.body {
            guard collected.readableBytes + part.readableBytes <= limit.bytes else { throw APIError.bodyTooLarge(limit) }
            var part = part
            collected.writeBuffer(&part)
            guard ContinuousClock.now < deadline else { throw APIError.bodyTimeout(seconds: server.bodyTimeout) }
        }
        return Data(collected.readableBytesView)
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
