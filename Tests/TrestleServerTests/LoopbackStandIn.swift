import Hummingbird
import Logging

/// Serves a stand-in's router on a loopback port 0 while `body` runs with its base URL.
enum LoopbackStandIn {
    static func serve(_ router: Router<BasicRequestContext>, label: String,
                      _ body: (String) async throws -> Void) async throws {
        var logger = Logger(label: label)
        // Stopped by cancellation, which Hummingbird reports as a shutdown error: not worth a line.
        logger.logLevel = .critical
        let (port, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in
                                  portContinuation.yield(channel.localAddress?.port ?? 0)
                                  portContinuation.finish()
                              }, logger: logger)
        let server = Task { try await app.runService() }
        defer { server.cancel() }
        var iterator = port.makeAsyncIterator()
        guard let bound = await iterator.next() else { throw CancellationError() }
        try await body("http://127.0.0.1:\(bound)")
    }
}
