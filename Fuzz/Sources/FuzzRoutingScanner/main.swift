import Foundation
import TrestleCore

// libFuzzer calls this once per input. A thrown error is a normal answer to a bad body;
// only a trap, a crash, a timeout or running out of memory is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRoutingScanner(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let body = Data(bytes: start, count: count)
    if let routing = try? GitLabRoutingScanner.scan(body) {
        for event in WebhookEvent.allCases {
            _ = routing.missingFields(for: event)
        }
    }
    return 0
}
