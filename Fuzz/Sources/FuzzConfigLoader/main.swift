import Foundation
import TrestleCore

// A fixed environment, so `${VAR}` and `${VAR:-default}` references in the input resolve.
private let environment = [
    "TRESTLE_TOKEN": "fuzz-token-0123456789",
    "TRESTLE_WEBHOOK_TOKEN": "fuzz-webhook-token",
    "TRESTLE_VOTING_APP_URL": "https://gitlab.example.com/demo/voting-app.git",
    "GITLAB_TOKEN": "glpat-fuzz",
    "HOME": "/root",
    "EMPTY": "",
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfigLoader(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let yaml = String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)
    _ = try? ConfigLoader.parse(yaml: yaml, file: "fuzz.yaml", environment: environment)
    return 0
}
