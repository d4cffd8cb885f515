/// An executor's report of an async task's result (to `finish.json` or its callback URL), in
/// either form Rill Flow takes:
/// - **wrapped** (seed 002): `{"result_type": "SUCCESS", "passthrough": {...}, "response": {...}}`,
///   a body with a `response` object: the task's output is `response`;
/// - **raw** (Rill Flow's executor samples): any other JSON object, the executor's own result,
///   e.g. `{"executor_result": 50, "result_type": "SUCCESS"}`: the whole body is the output.
///
/// `result_type` decides: `SUCCESS` (the default of a raw result) succeeds, `FAIL` or `FAILED`
/// fails the task.
public struct FlowTaskReport: Sendable, Equatable {
    public var result: FlowTaskResult
    /// `passthrough` of either form: where the seed's body names the execution and task.
    public var passthrough: [String: JSONValue]

    public static let successWords: Set<String> = ["SUCCESS"]
    public static let failureWords: Set<String> = ["FAIL", "FAILED"]

    public init(result: FlowTaskResult, passthrough: [String: JSONValue]) {
        self.result = result
        self.passthrough = passthrough
    }

    /// The report a body makes, or why it makes none (said as the API's error).
    public static func parse(_ body: [String: JSONValue]) -> Result<FlowTaskReport, FlowReportRefusal> {
        let passthrough = body["passthrough"]?.objectValue ?? [:]
        let wrapped = body["response"]?.objectValue != nil
        let output = wrapped ? body["response"] ?? .emptyObject : JSONValue.object(body)
        let word: String
        switch body["result_type"] {
        case nil where !wrapped:
            word = "SUCCESS"
        case .string(let text)?:
            word = text
        default:
            return .failure(FlowReportRefusal(message: "result_type must be SUCCESS, FAIL or FAILED"
                + (wrapped ? "" : " (a raw result without one is SUCCESS)")))
        }
        if successWords.contains(word) {
            return .success(FlowTaskReport(result: .success(output), passthrough: passthrough))
        }
        guard failureWords.contains(word) else {
            return .failure(FlowReportRefusal(message: "result_type '\(word.prefix(40))' is not SUCCESS, FAIL or FAILED"))
        }
        let shown = JSONText.compact(output).prefix(300)
        return .success(FlowTaskReport(result: .failure("the worker reported \(word): \(shown)"), passthrough: passthrough))
    }
}

/// Why a report was refused: the body is not a result Rill Flow would take.
public struct FlowReportRefusal: Error, Sendable, Equatable {
    public var message: String

    public init(message: String) {
        self.message = message
    }
}
