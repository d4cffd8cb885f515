import Testing
import TrestleCore

@Suite("Flow descriptors: Rill Flow YAML parsed and validated")
struct FlowDescriptorTests {
    static func parse(_ yaml: String) throws(FlowFailure) -> FlowDescriptor {
        try FlowDescriptorParser.parse(yaml: yaml, businessID: "biz", featureName: "feature")
    }

    static func reason(_ yaml: String) -> String {
        do {
            _ = try parse(yaml)
            return "accepted"
        } catch {
            return error.description
        }
    }

    @Test func theSeedSampleParsesIntoTwoFunctionTasksJoinedByNext() throws {
        let descriptor = try Self.parse(try FixtureFile.text("rill-flow-sample.yaml"))
        #expect(descriptor.id == "demoFlowTest:demoTest")
        #expect(descriptor.version == "20230829")
        #expect(descriptor.tasks.map(\.name) == ["startNode", "endNode"])
        let start = try #require(descriptor.task(named: "startNode"))
        #expect(start.category == .function && start.pattern == .sync)
        #expect(start.next == ["endNode"])
        #expect(start.inputMappings == [FlowMapping(source: "$.context.right", target: "$.input.right"),
                                        FlowMapping(source: "$.context.left", target: "$.input.left")])
        #expect(descriptor.rules.needs == ["endNode": ["startNode"]])
        #expect(descriptor.stages.first?.jobs.map(\.kind) == [.function, .function])
    }

    @Test func workspaceAndDagNameDefaultToTheBusinessIDAndFeatureName() throws {
        let descriptor = try Self.parse("tasks: [{ name: only, category: pass }]")
        #expect(descriptor.id == "biz:feature")
    }

    @Test func nextMayBeACommaSeparatedStringOrAList() throws {
        let descriptor = try Self.parse("""
            tasks:
              - { name: a, category: pass, next: "b, c" }
              - { name: b, category: pass, next: [d] }
              - { name: c, category: pass, next: d }
              - { name: d, category: pass }
            """)
        #expect(descriptor.task(named: "a")?.next == ["b", "c"])
        #expect(descriptor.rules.needs["d"]?.sorted() == ["b", "c"])
    }

    @Test func invalidYAMLIsRefusedWithAReason() {
        #expect(Self.reason("tasks: [unclosed").hasPrefix("the descriptor is not valid YAML"))
        #expect(Self.reason("just text") == "the descriptor must be a YAML mapping with workspace, dagName and tasks")
    }

    @Test func theSeedsExampleAsPrintedWithoutIndentationIsRefusedSayingSo() throws {
        let reason = Self.reason(try FixtureFile.text("rill-flow-sample-flattened.yaml"))
        #expect(reason.hasPrefix("the descriptor is not valid YAML"))
        #expect(reason.contains("the text has lost its indentation"), "\(reason)")
        #expect(!Self.reason("tasks: [unclosed").contains("indentation"))
    }

    @Test func anUnknownNextTargetIsRefusedNamingIt() {
        let reason = Self.reason("tasks: [{ name: a, category: pass, next: ghost }]")
        #expect(reason == "task 'a': next names 'ghost', which is not a task of the descriptor")
    }

    @Test func aCycleIsRefusedShowingItsPath() {
        let reason = Self.reason("""
            tasks:
              - { name: a, category: pass, next: b }
              - { name: b, category: pass, next: c }
              - { name: c, category: pass, next: a }
            """)
        #expect(reason == "the tasks form a cycle: a -> b -> c -> a")
        #expect(Self.reason("tasks: [{ name: a, category: pass, next: a }]") == "the tasks form a cycle: a -> a")
    }

    @Test func duplicateNamesAreRefused() {
        #expect(Self.reason("tasks: [{ name: a, category: pass }, { name: a, category: pass }]")
            == "task name 'a' is used more than once")
    }

    @Test func everyProblemIsReportedAtOnce() {
        let reason = Self.reason("""
            tasks:
              - { name: a, category: script }
              - name: b
                category: function
                resourceName: ftp://nowhere
                pattern: task_sometimes
                inputMappings: [{ source: $.output.x, target: $.context.y }]
                retry: { maxRetryTimes: 99 }
            """)
        #expect(reason.contains("task 'a': category 'script' is not supported; write function or pass"))
        #expect(reason.contains("task 'b': resourceName must be an http:// or https:// URL"))
        #expect(reason.contains("task 'b': pattern 'task_sometimes' is not supported"))
        #expect(reason.contains("task 'b': inputMappings[0].source '$.output.x' must start with $.context or $.input"))
        #expect(reason.contains("task 'b': inputMappings[0].target '$.context.y' must start with $.input"))
        #expect(reason.contains("task 'b': retry.maxRetryTimes must be a whole number from 0 to 20"))
    }

    @Test func unsupportedJSONPathIsRefusedAtAddTime() {
        let reason = Self.reason("tasks: [{ name: a, category: pass, inputMappings: [{ source: '$.context.*', target: $.input.x }] }]")
        #expect(reason == "task 'a': inputMappings[0].source: JSONPath '$.context.*': wildcards are not supported")
    }

    @Test func retryDelaysGrowByTheMultiplier() {
        let retry = FlowRetry(maxRetryTimes: 3, intervalInSeconds: 2, multiplier: 3)
        #expect((1...3).map(retry.delay(beforeRetry:)) == [2, 6, 18])
    }
}
