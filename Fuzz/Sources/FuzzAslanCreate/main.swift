import Foundation
import TrestleCore

// Seed 001's create body (JSON, trailing commas allowed), then what AslanRoutes does with it: mapped onto seed 000's
// create and validated against a small fixed config.
private let config: TrestleConfig = {
    let yaml = """
    server: { listen: "127.0.0.1:8080" }
    auth: { tokens: [] }
    repos:
      - { name: voting-app, url: "https://gitlab.example.com/demo/voting-app.git" }
      - { name: dyliu, url: "https://gitlab.example.com/demo/dyliu.git" }
    workflows:
      - name: proxy-workflow-dev
        project: proxy
        env: dev
        envs: [dev, staging]
        targets:
          - { name: proxy, service_type: k8s, repos: [dyliu] }
          - { name: gateway, service_type: helm, repos: [voting-app, dyliu] }
    """
    do {
        return try ConfigLoader.parse(yaml: yaml, file: "fuzz-aslan.yaml", environment: [:])
    } catch {
        fatalError("FuzzAslanCreate's own config does not load: \(error)")
    }
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAslanCreate(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let body = Data(bytes: start, count: count)
    guard let request = try? AslanCreateRequest.decode(body) else { return 0 }
    for projectName in [nil, "proxy"] {
        if let mapped = try? AslanCreateMapping.createRequest(request, projectName: projectName, config: config) {
            _ = try? CreateTaskValidation.validate(mapped, config: config)
        }
    }
    return 0
}
