import HTTPTypes

/// The non-standard headers Trestle reads and writes.
enum HeaderName {
    /// Seed 000's alternative to `Authorization: Bearer`.
    static let authToken = HTTPField.Name("X-Auth-Token")!
    /// Why a request failed, beside the seed's fixed error body.
    static let reason = HTTPField.Name("X-Trestle-Reason")!
    /// `cli` when the trestle CLI sends the request.
    static let client = HTTPField.Name("X-Trestle-Client")!
}
