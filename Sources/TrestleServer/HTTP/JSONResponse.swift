import Foundation
import Hummingbird

enum JSONResponse {
    /// Configured once; encoding with a shared JSONEncoder is thread-safe. Keys are sorted:
    /// without that, Foundation on Linux emits them in hash order, a different order per run.
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? encoder.encode(value)) ?? Data(#"{"resultCode":500,"errorMsg":"internal error!"}"#.utf8)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
