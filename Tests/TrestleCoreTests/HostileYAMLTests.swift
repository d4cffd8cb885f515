import Foundation
import Testing
import TrestleCore

/// YAML a caller sends (Rill Flow descriptors) and the config file are read without a trap, a
/// stack overflow or an expansion that eats the memory.
@Suite("Hostile YAML: refused with a reason, never a crash")
struct HostileYAMLTests {
    static func descriptorFailure(_ yaml: String) -> String? {
        do {
            _ = try FlowDescriptorParser.parse(yaml: yaml, businessID: "biz", featureName: "feature")
            return nil
        } catch {
            return error.description
        }
    }

    @Test func aListUsedAsAMappingKeyIsRefusedNotTrappedInYamsConstructor() throws {
        let reason = try #require(Self.descriptorFailure(try FixtureFile.text("hostile-nonscalar-key.yaml")))
        #expect(reason.contains("line 1: a list or mapping is used as a mapping key"))
    }

    @Test func anAliasUsedAsAKeyIsRefused() throws {
        let reason = try #require(Self.descriptorFailure(try FixtureFile.text("hostile-alias-key.yaml")))
        #expect(reason.contains("line 4: an alias (*name) is used as a mapping key"))
    }

    @Test func billionLaughsIsRefusedBeforeItExpands() throws {
        let reason = try #require(Self.descriptorFailure(try FixtureFile.text("hostile-billion-laughs.yaml")))
        #expect(reason.contains("more than 500000 values once its aliases (*name) are expanded"))
    }

    @Test func oneLongValueAliasedEverywhereIsRefusedByItsExpandedBytes() throws {
        let long = String(repeating: "x", count: 100_000)
        var yaml = "p: &p \"$.context.\(long)\"\ntasks:\n"
        for index in 0..<200 { yaml += "  - { name: t\(index), category: pass, inputMappings: [{ source: *p, target: *p }] }\n" }
        let reason = try #require(Self.descriptorFailure(yaml))
        #expect(reason.contains("more than 16777216 bytes once its aliases (*name) are expanded"), "\(reason.prefix(200))")
    }

    @Test func aliasesNestingDeeperThanTheLimitOnceExpandedAreRefused() throws {
        // Each anchor is 40 deep; aliasing one inside another reaches 80.
        let deep = String(repeating: "[", count: 40) + "x" + String(repeating: "]", count: 40)
        let yaml = "a: &a \(deep)\nb: &b " + String(repeating: "[", count: 39) + "*a" + String(repeating: "]", count: 39)
            + "\ntasks: [{ name: t, category: pass }]\n"
        let reason = try #require(Self.descriptorFailure(yaml))
        #expect(reason.contains("nested more than 64 deep once aliases (*name) are expanded"), "\(reason)")
    }

    @Test func aBase60IntegerStaysTextInsteadOfOverflowingInYams() throws {
        // `1:0:0:…` is an integer in YAML 1.1; Yams multiplies it out with a trapping `*`.
        let descriptor = try FlowDescriptorParser.parse(yaml: """
            x: 1:0:0:0:0:0:0:0:0:0:0
            version: 1:0:0:0:0:0:0:0:0:0:0
            tasks: [{ name: t, category: pass }]
            """, businessID: "biz", featureName: "feature")
        #expect(descriptor.version == "1:0:0:0:0:0:0:0:0:0:0")
    }

    @Test func aliasesWithinTheLimitStillWork() throws {
        let descriptor = try FlowDescriptorParser.parse(yaml: """
            shared: &pass pass
            tasks:
              - { name: a, category: *pass, next: b }
              - { name: b, category: *pass }
            """, businessID: "biz", featureName: "feature")
        #expect(descriptor.tasks.map(\.category) == [.pass, .pass])
    }

    @Test func deepNestingIsRefusedWithoutRecursingIntoIt() throws {
        let nested = { (depth: Int) in "tasks: " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) }
        #expect(try #require(Self.descriptorFailure(nested(200))).contains("line 1: lists and mappings are nested more than 64 deep"))
        // Past libyaml's own limit (1,000) its parser refuses first, in its words.
        #expect(try #require(Self.descriptorFailure(nested(100_000))).contains("Maximum nesting level reached"))
    }

    @Test func explicitTagsDoNotChooseTypesOrReachYamsConstructors() throws {
        // !!set and !!timestamp go through constructors that trap on odd input; here they are text.
        let reason = try #require(Self.descriptorFailure("""
            tasks: !!set { ? [a] }
            """))
        #expect(reason.contains("a list or mapping is used as a mapping key"))
        let descriptor = try FlowDescriptorParser.parse(yaml: """
            version: !!timestamp 2001-12-14\u{301}
            tasks: [{ name: a, category: pass }]
            """, businessID: "biz", featureName: "feature")
        #expect(descriptor.version == "2001-12-14\u{301}")
    }

    @Test func aChainOf25000TasksIsCheckedForCyclesWithoutDeepRecursion() throws {
        let count = 25_000
        var yaml = "tasks:\n"
        for index in 1...count {
            yaml += index < count ? "- {name: t\(index), category: pass, next: t\(index + 1)}\n" : "- {name: t\(index), category: pass}\n"
        }
        let descriptor = try FlowDescriptorParser.parse(yaml: yaml, businessID: "biz", featureName: "feature")
        #expect(descriptor.tasks.count == count)
        let cyclic = yaml.replacingOccurrences(of: "- {name: t\(count), category: pass}", with: "- {name: t\(count), category: pass, next: t1}")
        let reason = try #require(Self.descriptorFailure(cyclic))
        #expect(reason.contains("the tasks form a cycle: t1 -> t2 -> t3"))
        #expect(reason.contains("t\(count) -> t1"))
    }

    @Test func theConfigLoaderRefusesTheSameShapesWithTheLine() throws {
        for (yaml, expected) in [("{[a]: b}", "a list or mapping is used as a mapping key"),
                                 ("server: " + String(repeating: "[", count: 100), "nested more than 64 deep")] {
            do {
                _ = try ConfigLoader.parse(yaml: yaml, file: "hostile.yaml", environment: [:])
                Issue.record("accepted \(yaml.prefix(20))")
            } catch {
                #expect(error.problems.first?.message.contains(expected) == true, "\(error.problems)")
                #expect(error.problems.first?.line == 1)
            }
        }
    }

    @Test func aConfigMayStillShareValuesThroughAnchors() throws {
        let config = try ConfigLoader.parse(yaml: FixtureFile.text("config-with-anchors.yaml"), file: "anchors.yaml",
                                            environment: ["TOKEN": "secret"])
        let targets = try #require(config.workflow(named: "w")).targets
        #expect(targets.map(\.repos) == [["app"], ["app"]])
        #expect(targets.map(\.timeout) == [600, 600])
    }
}

@Suite("Hostile JSON5: aslan's create body")
struct HostileJSON5Tests {
    @Test func aKeyOfInvalidUTF8IsRefusedNotTrappedInFoundationsJSON5Scanner() throws {
        // Found by the FuzzAslanCreate target: `{` and eight 0xFF bytes.
        let body = try FixtureFile.data("json5-key-invalid-utf8.bin")
        #expect(throws: DecodingError.self) { try AslanCreateRequest.decode(body) }
        let valid = try AslanCreateRequest.decode(Data(#"{"workflow_name": "w,]}", "targets": [ ] , }"#.utf8))
        #expect(valid.workflowName == "w,]}")
        #expect(valid.targets?.isEmpty == true)
    }

    @Test func aHexLiteralInAWholeNumberFieldIsRefusedNotTrapped() throws {
        // Found by the FuzzAslanCreate target: JSON5's `0x0x` in `pr` trapped Foundation's scanner.
        let body = try FixtureFile.data("json5-hex-int-0x0x.json5")
        #expect(throws: DecodingError.self) { try AslanCreateRequest.decode(body) }
        #expect(throws: DecodingError.self) { try AslanCreateRequest.decode(Data(#"{"targets":[{"build":{"repos":[{"pr":0x0x}]}}]}"#.utf8)) }
    }
}

@Suite("Dependency cycles: found iteratively in linear time")
struct DependencyCycleTests {
    @Test func theFirstCycleIsNamedFromItsRepeatedNode() {
        let nodes: [(name: String, edges: [String])] = [("a", ["b"]), ("b", ["c"]), ("c", ["b"]), ("d", [])]
        #expect(DependencyCycle.find(nodes) == ["b", "c", "b"])
        #expect(DependencyCycle.find([("a", ["a"])]) == ["a", "a"])
        #expect(DependencyCycle.find([("a", ["b"]), ("b", []), ("c", ["a", "b"])]) == nil)
    }

    @Test func aDiamondIsNotACycle() {
        #expect(DependencyCycle.find([("a", ["b", "c"]), ("b", ["d"]), ("c", ["d"]), ("d", [])]) == nil)
    }
}
