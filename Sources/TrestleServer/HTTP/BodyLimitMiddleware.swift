import Hummingbird
import TrestleCore

/// Refuses a declared body over the route's limit (`server.max_webhook_bytes` for the webhook
/// receiver, `server.max_body_bytes` elsewhere) before any handler runs; routes that read bodies
/// also stop chunked ones at the limit (`RequestBodyReader`).
struct BodyLimitMiddleware: RouterMiddleware {
    typealias Context = TrestleRequestContext

    let server: ServerConfig

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let limit = server.bodyLimit(forPath: request.uri.path)
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > limit.bytes {
            throw APIError.bodyTooLarge(limit)
        }
        return try await next(request, context)
    }
}
