import HTTPTypes
import Hummingbird
import NIOCore
import Logging
import TrestleCore

/// Turns every failure into a seed-shaped JSON body; nothing leaves as a bare status.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = TrestleRequestContext

    let server: ServerConfig

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return respond(error, request: request, context: context)
        } catch let error as HTTPError {
            return respond(apiError(for: error, request: request), request: request, context: context)
        } catch is NIOTooManyBytesError {
            return respond(.bodyTooLarge(server.bodyLimit(forPath: request.uri.path)), request: request, context: context)
        } catch {
            return respond(.internalFailure(nil, "\(error)"), request: request, context: context)
        }
    }

    private func apiError(for error: HTTPError, request: Request) -> APIError {
        switch error.status {
        case .notFound, .methodNotAllowed: .routeNotFound("\(request.method) \(request.uri.path)")
        case .contentTooLarge: .bodyTooLarge(server.bodyLimit(forPath: request.uri.path))
        case .badRequest: .paramIllegal(error.body ?? "bad request")
        default: .internalFailure(nil, "\(error)")
        }
    }

    private func respond(_ error: APIError, request: Request, context: Context) -> Response {
        let level: Logger.Level = error.status.code >= 500 ? .error : .info
        context.logger.log(level: level, "request failed", metadata: [
            "method": "\(request.method)", "path": "\(request.uri.path)",
            "status": "\(error.status.code)", "reason": "\(error.reason)",
        ])
        var response = JSONResponse.make(error.body(ErrorDialect(path: request.uri.path)), status: error.status)
        if case .internalFailure = error {
            return response
        }
        if case .bodyTimeout = error {
            // The rest of the body is not waited for: the connection goes.
            response.headers[.connection] = "close"
        }
        response.headers[HeaderName.reason] = Self.headerSafe(error.reason)
        return response
    }

    /// Header values are one line of visible ASCII.
    private static func headerSafe(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.prefix(512).map {
            ($0.isASCII && $0.value >= 0x20 && $0.value != 0x7f) ? $0 : "?"
        }))
    }
}
