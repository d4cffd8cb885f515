import HTTPTypes

/// The non-standard headers Trestle reads and writes.
enum HeaderName {
    /// Seed 000's alternative to `Authorization: Bearer`.
    static let authToken = HTTPField.Name("X-Auth-Token")!
    /// Why a request failed, beside the seed's fixed error body.
    static let reason = HTTPField.Name("X-Trestle-Reason")!
    /// `cli` when the trestle CLI sends the request.
    static let client = HTTPField.Name("X-Trestle-Client")!
    static let gitlabToken = HTTPField.Name("X-Gitlab-Token")!
    static let gitlabEvent = HTTPField.Name("X-Gitlab-Event")!
    static let gitlabEventUUID = HTTPField.Name("X-Gitlab-Event-UUID")!
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    /// The delivery headers kept with each webhook delivery (never the token).
    static let keptWebhookHeaders: [HTTPField.Name] = [
        gitlabEvent, gitlabEventUUID, HTTPField.Name("X-Gitlab-Webhook-UUID")!, idempotencyKey,
        HTTPField.Name("X-Gitlab-Instance")!, .userAgent,
    ]
}
