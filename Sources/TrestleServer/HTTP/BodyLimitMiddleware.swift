import Hummingbird

/// Refuses a declared body over `server.max_body_bytes` on every route, before any handler
/// runs; routes that read bodies also stop chunked ones at the limit (`RequestBodyReader`).
struct BodyLimitMiddleware: RouterMiddleware {
    typealias Context = TrestleRequestContext

    let maxBodyBytes: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > maxBodyBytes {
            throw APIError.bodyTooLarge(limit: maxBodyBytes)
        }
        return try await next(request, context)
    }
}
