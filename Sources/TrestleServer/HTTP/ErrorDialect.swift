/// Which seed's error body a request's failure answers with, chosen by the path's prefix, for
/// every failure of the route alike (auth, bad input, not found, internal) and for unknown routes
/// under the prefix. The one place that knows which paths belong to which seed.
enum ErrorDialect: Sendable, Equatable {
    /// Seed 000 (and every path not claimed below): `{"resultCode","errorMsg"}` and the `code` body.
    case zadig
    /// Seed 001, `/api/aslan/…`: the `code` body only.
    case aslan
    /// Seed 003, `/v3/pipelines/…`: `{"error_msg","error_code"}`.
    case codeArts
    /// Seed 004, `/v1/<project_id>/cms/…`: `{"error_code","error_msg","http_code"}`.
    case aom
    /// Seed 002, `/flow/…` and `/2/flow/…`: `{"ret":false,"error"}` (the seed shows no error body;
    /// this is its success body's `ret` turned false, with the reason).
    case rillFlow

    init(path: String) {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        if parts.count >= 2, parts[0] == "api", parts[1] == "aslan" {
            self = .aslan
        } else if parts.count >= 2, parts[0] == "v3", parts[1] == "pipelines" {
            self = .codeArts
        } else if parts.count >= 3, parts[0] == "v1", parts[2] == "cms" {
            self = .aom
        } else if parts.first == "flow" || (parts.count >= 2 && parts[0] == "2" && parts[1] == "flow") {
            self = .rillFlow
        } else {
            self = .zadig
        }
    }
}
