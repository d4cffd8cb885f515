import Testing
import TrestleCore

@Suite("Seed 002's sample functions")
struct FlowSampleFunctionsTests {
    @Test func theStartNodeAddsLeftAndRight() {
        let output = FlowSampleFunctions.startNode(.object(["left": .number(512), "right": .number(0.5)]))
        #expect(output == .success(.object(["result_number": .number(512.5)])))
    }

    @Test func theStartNodeRefusesMissingOrNonNumericSides() {
        for input: JSONValue in [.object(["left": .number(1)]), .object(["left": .string("1"), "right": .number(2)]), .array([])] {
            guard case .failure(.invalid(let reason)) = FlowSampleFunctions.startNode(input) else {
                Issue.record("\(input) was accepted")
                continue
            }
            #expect(reason.contains("left and right"))
        }
    }

    @Test func theEndNodePassesEqualNumbersAndFailsOthersSayingBoth() {
        #expect(FlowSampleFunctions.endNode(.object(["result_number": .number(1024), "expect_number": .number(1024)]))
            == .success(.object(["result_number": .number(1024), "passed": .bool(true)])))
        #expect(FlowSampleFunctions.endNode(.object(["result_number": .number(3), "expect_number": .number(4)]))
            == .failure(.invalid("result_number 3 is not expect_number 4")))
        #expect(FlowSampleFunctions.endNode(.object(["result_number": .number(3)]))
            == .failure(.invalid("end_node.json needs numbers result_number and expect_number")))
    }
}
