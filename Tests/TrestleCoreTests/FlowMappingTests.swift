import Foundation
import Testing
import TrestleCore

@Suite("Flow mappings: the JSONPath subset and values moved between context, input and output")
struct FlowMappingTests {
    static func json(_ text: String) throws -> JSONValue {
        try #require(JSONText.parse(Data(text.utf8)))
    }

    @Test func pathsReadMembersQuotedMembersAndListPositions() throws {
        let document = try Self.json(#"{"a":{"b c":[10,{"d":true}]}}"#)
        #expect(try JSONPath(parsing: "$.a['b c'][0]").value(in: document) == .number(10))
        #expect(try JSONPath(parsing: #"$.a["b c"][1].d"#).value(in: document) == .bool(true))
        #expect(try JSONPath(parsing: "$.a.missing").value(in: document) == nil)
        #expect(try JSONPath(parsing: "$").value(in: document) == document)
    }

    @Test func writingMakesTheObjectsOnTheWay() throws {
        let written = try JSONPath(parsing: "$.x.y.z").setting(.string("v"), in: .emptyObject)
        #expect(JSONText.compact(written) == #"{"x":{"y":{"z":"v"}}}"#)
        let appended = try JSONPath(parsing: "$.list[1]").setting(.number(2), in: try Self.json(#"{"list":[1]}"#))
        #expect(JSONText.compact(appended) == #"{"list":[1,2]}"#)
        #expect(throws: JSONPathError.self) { try JSONPath(parsing: "$.list[5]").setting(.null, in: try Self.json(#"{"list":[]}"#)) }
    }

    @Test func malformedPathsAreRefused() {
        for text in ["context.a", "$.", "$.a[", "$..a", "$.a[x]", "$.a[-1]"] {
            #expect(throws: JSONPathError.self, "\(text)") { try JSONPath(parsing: text) }
        }
    }

    @Test func theSeedSampleMapsContextToInputAndOutputBackToContext() throws {
        let descriptor = try FlowDescriptorParser.parse(yaml: try FixtureFile.text("rill-flow-sample.yaml"), businessID: "", featureName: "")
        let start = try #require(descriptor.task(named: "startNode"))
        let end = try #require(descriptor.task(named: "endNode"))
        let context = try Self.json(#"{"left":512,"right":512}"#)
        let input = try FlowMappings.input(for: start, context: context)
        #expect(JSONText.compact(input) == #"{"left":512,"right":512}"#)
        let after = try FlowMappings.context(after: start, context: context, input: input,
                                             output: try Self.json(#"{"result_number":1024,"extra":1}"#))
        #expect(JSONText.compact(after) == #"{"left":512,"result_number":1024,"right":512}"#)
        #expect(JSONText.compact(try FlowMappings.input(for: end, context: after)) == #"{"expect_number":1024,"result_number":1024}"#)
    }

    @Test func aMissingSourceLeavesItsTargetUnset() throws {
        let task = FlowTaskSpec(name: "t", category: .pass, inputMappings: [FlowMapping(source: "$.context.nope", target: "$.input.x")])
        #expect(try FlowMappings.input(for: task, context: .emptyObject) == .emptyObject)
    }
}
