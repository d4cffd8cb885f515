import Hummingbird

/// `GET /openapi.yaml`: the OpenAPI 3 document of every route, open like `/healthz` so that
/// tools (schemathesis, client generators) can read it without a token.
/// The document is `OpenAPI/openapi.yaml`, embedded in the binary at build time.
enum OpenAPIRoute {
    static let path = "/openapi.yaml"
    static let documentBytes: [UInt8] = PackageResources.openapi_yaml
    static let document = ByteBuffer(bytes: documentBytes)

    static func register(on router: Router<TrestleRequestContext>) {
        router.get("openapi.yaml") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml"], body: ResponseBody(byteBuffer: document))
        }
    }
}
