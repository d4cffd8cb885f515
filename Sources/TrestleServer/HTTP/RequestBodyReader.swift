import Foundation
import Hummingbird

/// Reads request bodies no larger than the configured limit. Declared oversize bodies were
/// already refused by `BodyLimitMiddleware`; a chunked one that runs past the limit throws,
/// and `ErrorMiddleware` answers 413.
enum RequestBodyReader {
    static func collect(_ request: Request, limit: Int) async throws -> Data {
        let buffer = try await request.body.collect(upTo: limit)
        return Data(buffer.readableBytesView)
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
