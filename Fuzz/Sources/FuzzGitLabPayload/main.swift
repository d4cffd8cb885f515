import Foundation
import TrestleCore

// Every input is decoded as each event's payload, as the processor decodes a stored delivery.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGitLabPayload(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let body = Data(bytes: start, count: count)
    for event in WebhookEvent.allCases {
        _ = try? GitLabEvents.facts(event: event, repo: "voting-app", body: body)
    }
    return 0
}
