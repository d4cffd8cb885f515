import HTTPTypes
import Testing
@testable import TrestleServer

@Suite("Webhook request headers, gathered in one pass")
struct WebhookRequestHeadersTests {
    @Test("the routing headers are read in any case, and only the kept ones are kept, never the token")
    func readsAndKeeps() throws {
        var fields = HTTPFields()
        fields[try #require(HTTPField.Name("x-gitlab-token"))] = "s3cret"
        fields[try #require(HTTPField.Name("X-GITLAB-EVENT"))] = "Push Hook"
        fields[try #require(HTTPField.Name("Idempotency-Key"))] = "key-1"
        fields[try #require(HTTPField.Name("X-Gitlab-Event-UUID"))] = "uuid-1"
        fields[.userAgent] = "GitLab/17.0"
        fields[.contentType] = "application/json"
        let headers = WebhookRequestHeaders(fields)
        #expect(headers.token == "s3cret")
        #expect(headers.event == "Push Hook")
        #expect(headers.idempotencyKey == "key-1")
        #expect(headers.eventUUID == "uuid-1")
        #expect(headers.kept == ["X-Gitlab-Event": "Push Hook", "Idempotency-Key": "key-1",
                                 "X-Gitlab-Event-UUID": "uuid-1", "User-Agent": "GitLab/17.0"])
    }

    @Test("a repeated header's values are joined as HTTPFields joins them, and kept values are cut at 500 bytes")
    func repeatsAndLimits() throws {
        var fields = HTTPFields()
        let event = try #require(HTTPField.Name("X-Gitlab-Event"))
        fields.append(HTTPField(name: event, value: "Push Hook"))
        fields.append(HTTPField(name: event, value: "Tag Push Hook"))
        fields.append(HTTPField(name: .userAgent, value: String(repeating: "a", count: 600)))
        let headers = WebhookRequestHeaders(fields)
        #expect(headers.event == fields[event])
        #expect(headers.kept["X-Gitlab-Event"] == "Push Hook, Tag Push Hook")
        #expect(headers.kept["User-Agent"]?.utf8.count == 500)
        #expect(headers.token == nil)
    }
}
