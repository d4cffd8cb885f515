import Foundation
import Testing
import TrestleCore

@Suite("Rill Flow task reports: the seed's wrapped form and executors' raw results")
struct FlowTaskReportTests {
    static func report(_ body: String) -> Result<FlowTaskReport, FlowReportRefusal> {
        FlowTaskReport.parse(JSONText.parse(Data(body.utf8))?.objectValue ?? [:])
    }

    static func output(_ body: String) -> JSONValue? {
        JSONText.parse(Data(body.utf8))
    }

    @Test("a body with a response object is wrapped: the response is the output; any other object is a raw result, the output whole",
          arguments: [
            (#"{"result_type":"SUCCESS","passthrough":{"task_name":"A"},"response":{"answer":42}}"#, #"{"answer":42}"#),
            (#"{"executor_result":50,"result_type":"SUCCESS"}"#, #"{"executor_result":50,"result_type":"SUCCESS"}"#),
            (#"{"executor_result":50}"#, #"{"executor_result":50}"#),
            // A response that is not an object is part of a raw result.
            (#"{"response":"done","result_type":"SUCCESS"}"#, #"{"response":"done","result_type":"SUCCESS"}"#),
            (#"{}"#, #"{}"#),
          ])
    func successes(body: String, expected: String) throws {
        let report = try Self.report(body).get()
        #expect(report.result == .success(try #require(Self.output(expected))))
    }

    @Test("FAIL and FAILED both fail the task, in either form, saying what the worker answered",
          arguments: [
            (#"{"result_type":"FAIL","response":{"reason":"no disk"}}"#, #"the worker reported FAIL: {"reason":"no disk"}"#),
            (#"{"result_type":"FAILED","error":"timeout"}"#, #"the worker reported FAILED: {"error":"timeout","result_type":"FAILED"}"#),
          ])
    func failures(body: String, message: String) throws {
        #expect(try Self.report(body).get().result == .failure(message))
    }

    @Test("a wrapped report needs its result_type; an unknown word or a non-string is refused, naming the words",
          arguments: [
            (#"{"response":{"a":1}}"#, "result_type must be SUCCESS, FAIL or FAILED"),
            (#"{"result_type":"DONE"}"#, "result_type 'DONE' is not SUCCESS, FAIL or FAILED"),
            (#"{"result_type":1}"#, "result_type must be SUCCESS, FAIL or FAILED (a raw result without one is SUCCESS)"),
          ])
    func refusals(body: String, message: String) {
        #expect(Self.report(body) == .failure(FlowReportRefusal(message: message)))
    }

    @Test("passthrough names the execution and task in either form")
    func passthrough() throws {
        let report = try Self.report(#"{"passthrough":{"execution_id":"ws:f_c_1","task_name":"B"},"executor_result":1}"#).get()
        #expect(report.passthrough["task_name"] == .string("B"))
    }
}
