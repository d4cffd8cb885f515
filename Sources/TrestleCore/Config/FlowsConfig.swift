/// Rill Flow executions: `flows: { allowed_urls: [...], concurrency: 4, max_parallel: 16 }`.
public struct FlowsConfig: Sendable {
    /// URL patterns (`*` matches any run of characters) that function calls and submit callbacks
    /// may go to; the server's own sample functions are always allowed, nothing else by default.
    public var allowedURLs: [String]
    /// Executions of one descriptor running at once, like a workflow's `concurrency`.
    public var concurrency: Int
    /// DAG tasks of one execution running at once.
    public var maxParallel: Int

    public init(allowedURLs: [String] = [], concurrency: Int = 4, maxParallel: Int = 16) {
        self.allowedURLs = allowedURLs
        self.concurrency = concurrency
        self.maxParallel = maxParallel
    }
}
