import HTTPTypes

/// The headers a webhook delivery is read by, gathered in one pass over the request's fields.
///
/// Why one pass: each `HTTPFields` lookup by name scans every field and joins repeats through
/// generic code that ran unspecialized; ten of them per delivery were 2 % of the server's time
/// under `make bench`.
struct WebhookRequestHeaders {
    static let keptValueLimit = 500

    var token: String?
    var event: String?
    var idempotencyKey: String?
    var eventUUID: String?
    /// The delivery headers kept with the delivery (never the token), by their configured
    /// spelling; a repeated header's values are joined with ", " as `HTTPFields` joins them.
    var kept: [String: String] = [:]

    init(_ fields: HTTPFields) {
        for field in fields {
            let name = field.name.canonicalName
            if name == HeaderName.gitlabToken.canonicalName {
                token = token.map { $0 + ", " + field.value } ?? field.value
                continue
            }
            guard let keptName = HeaderName.keptWebhookHeaders.first(where: { $0.canonicalName == name }) else { continue }
            if let earlier = kept[keptName.rawName] {
                kept[keptName.rawName] = Self.limited(earlier + ", " + field.value)
            } else {
                kept[keptName.rawName] = Self.limited(field.value)
            }
            switch keptName {
            case HeaderName.gitlabEvent: event = event.map { $0 + ", " + field.value } ?? field.value
            case HeaderName.idempotencyKey: idempotencyKey = idempotencyKey.map { $0 + ", " + field.value } ?? field.value
            case HeaderName.gitlabEventUUID: eventUUID = eventUUID.map { $0 + ", " + field.value } ?? field.value
            default: break
            }
        }
    }

    private static func limited(_ value: String) -> String {
        value.utf8.count <= keptValueLimit ? value : String(value.prefix(keptValueLimit))
    }
}
