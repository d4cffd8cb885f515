import HTTPTypes

/// The headers a webhook delivery is read by, gathered in one pass over the request's fields.
///
/// Why one pass: each `HTTPFields` lookup by name scans every field and joins repeats through
/// generic code that ran unspecialized; ten of them per delivery were 2 % of the server's time
/// under `make bench`.
struct WebhookRequestHeaders {
    static let keptValueLimit = 500
    private static let read = [HeaderName.gitlabToken] + HeaderName.keptWebhookHeaders

    let token: String?
    let event: String?
    let idempotencyKey: String?
    let eventUUID: String?
    /// The delivery headers kept with the delivery (never the token), by their configured
    /// spelling, each cut at `keptValueLimit` bytes.
    let kept: [String: String]

    init(_ fields: HTTPFields) {
        // A repeated header's values are joined with ", ", as `HTTPFields` joins them.
        var values: [String: String] = [:]
        for field in fields {
            let name = field.name.canonicalName
            guard let wanted = Self.read.first(where: { $0.canonicalName == name }) else { continue }
            values[wanted.rawName] = values[wanted.rawName].map { $0 + ", " + field.value } ?? field.value
        }
        token = values.removeValue(forKey: HeaderName.gitlabToken.rawName)
        event = values[HeaderName.gitlabEvent.rawName]
        idempotencyKey = values[HeaderName.idempotencyKey.rawName]
        eventUUID = values[HeaderName.gitlabEventUUID.rawName]
        kept = values.mapValues { $0.utf8.count <= Self.keptValueLimit ? $0 : String($0.prefix(Self.keptValueLimit)) }
    }
}
