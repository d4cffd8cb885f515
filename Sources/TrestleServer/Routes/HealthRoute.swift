import Hummingbird

/// `GET /healthz`: no auth, no I/O; the ceiling the benchmarks compare routes against.
enum HealthRoute {
    static let path = "/healthz"
    private static let body = ByteBuffer(string: #"{"status":"ok"}"#)

    static func register(on router: Router<TrestleRequestContext>) {
        router.get("healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: body))
        }
    }
}
