import Foundation
import Testing
@testable import TrestleCore
import TrestleTestSupport

@Suite("Webhook routing fields read in one pass")
struct GitLabRoutingScannerTests {
    static let samples = ["push-main", "push-docs-only", "push-skip-ci", "push-branch-deleted", "tag-push",
                          "merge-request-open", "merge-request-draft", "merge-request-update-code",
                          "merge-request-update-metadata", "note-retry"]

    static func sample(_ name: String) throws -> Data {
        Data(try FixtureFile.repositoryText("samples/webhooks/\(name).json").utf8)
    }

    /// The scanner's answer, or nil where it refuses the body; likewise JSONDecoder's.
    static func both(_ body: Data) -> (scanned: GitLabRouting?, decoded: GitLabRouting?) {
        (try? GitLabRoutingScanner.scan(body), try? JSONDecoder().decode(GitLabRouting.self, from: body))
    }

    @Test(arguments: samples)
    func everySampleReadsAsJSONDecoderReadsIt(_ name: String) throws {
        let body = try Self.sample(name)
        let (scanned, decoded) = Self.both(body)
        #expect(scanned != nil)
        #expect(scanned == decoded)
    }

    @Test func thePushSampleGivesItsProjectRefAndAfter() throws {
        let routing = try GitLabRoutingScanner.scan(try Self.sample("push-main"))
        #expect(routing.objectKind == "push")
        #expect(routing.project?.pathWithNamespace == "demo/voting-app")
        #expect(routing.ref == "refs/heads/main")
        #expect(routing.after?.count == 40)
    }

    @Test func escapesAndNullsReadAsJSONSaysAndNestedLookalikesAreNotRead() throws {
        let body = Data(#"""
            {"object_kind": "p\u0075sh", "ref": null, "commits": [{"project": {"id": 9}}],
             "project": {"id": 42, "path_with_namespace": "d\/e \"x\" \ud83d\ude00\u00e9"},
             "object_attributes": {"iid": 7, "last_commit": {"id": "abc"}, "note": {"iid": 8}}}
            """#.utf8)
        let routing = try GitLabRoutingScanner.scan(body)
        #expect(routing == (try JSONDecoder().decode(GitLabRouting.self, from: body)))
        #expect(routing.objectKind == "push")
        #expect(routing.ref == nil)
        #expect(routing.project == GitLabRouting.Project(id: 42, pathWithNamespace: "d/e \"x\" 😀é"))
        #expect(routing.objectAttributes?.iid == 7 && routing.objectAttributes?.lastCommit?.id == "abc")
    }

    @Test(arguments: [
        ("", "body is not valid JSON"), ("[1]", "body: expected an object"), ("{\"a\":1} x", "body is not valid JSON"),
        ("{\"a\":01}", "body is not valid JSON"), ("{\"a\":\"\\x\"}", "body is not valid JSON"), ("{\"a\":tru}", "body is not valid JSON"),
        ("{\"a\":\"\u{01}\"}", "body is not valid JSON"), ("{\"project\":{\"id\":\"12\"}}", "project.id: expected a whole number"),
        ("{\"project\":{\"id\":1.5}}", "project.id: expected a whole number"), ("{\"ref\":[]}", "ref: expected a string"),
        ("{\"project\":\"x\"}", "project: expected an object"), ("{\"a\":[1,]}", "body is not valid JSON"),
        ("{\"ref\":\"\\ud83d\"}", "body is not valid JSON"),
    ])
    func brokenOrWrongTypedBodiesAreRefusedSayingWhere(_ text: String, _ reason: String) {
        let message: String
        do {
            message = "accepted: \(try GitLabRoutingScanner.scan(Data(text.utf8)))"
        } catch {
            message = error.reason
        }
        #expect(message.hasPrefix(reason), "\(message)")
    }

    @Test func deepNestingIsRefusedWithoutExhaustingTheStack() {
        let deep = Data(("{\"a\":" + String(repeating: "[", count: 100_000)).utf8)
        #expect(throws: WebhookPayloadError.self) { try GitLabRoutingScanner.scan(deep) }
    }

    /// JSONDecoder leaves the strings it does not read unchecked; RFC 8259 forbids these in any string.
    static func forbiddenInStrings(_ body: Data) -> Bool {
        do {
            _ = try GitLabRoutingScanner.scan(body)
            return false
        } catch {
            return ["it is not UTF-8", "control character in a string", "unknown escape in a string"]
                .contains { error.reason.contains($0) }
        }
    }

    /// What the scanner accepts, the processor's JSONDecoder reads with the same fields; it refuses
    /// no more than JSONDecoder does, but for what RFC 8259 forbids in strings JSONDecoder skips.
    @Test func escapedKeysAreReadAsTheKeysTheySpell() throws {
        let body = Data(#"""
            {"object\u005fkind": "push", "pro\u006aect": {"\u0069d": 5, "path_with\u005fnamespace": "a/b"},
             "r\u0065f": "refs/heads/main", "after\u0000": "not after"}
            """#.utf8)
        let routing = try GitLabRoutingScanner.scan(body)
        #expect(routing == (try JSONDecoder().decode(GitLabRouting.self, from: body)))
        #expect(routing.objectKind == "push" && routing.ref == "refs/heads/main" && routing.after == nil)
        #expect(routing.project == GitLabRouting.Project(id: 5, pathWithNamespace: "a/b"))
    }

    /// Strings are skipped a word at a time: a quote, backslash or control character at any
    /// offset within the word must still be seen.
    @Test func specialBytesAtEveryOffsetOfAWordAreSeen() throws {
        for offset in 0..<20 {
            let pad = String(repeating: "x", count: offset)
            let quoted = try GitLabRoutingScanner.scan(Data(#"{"ref": "\#(pad)\"q\#(pad)"}"#.utf8))
            #expect(quoted.ref == pad + "\"q" + pad, "quote at \(offset)")
            let unicode = try GitLabRoutingScanner.scan(Data("{\"ref\": \"\(pad)é😀\(pad)\"}".utf8))
            #expect(unicode.ref == pad + "é😀" + pad, "non-ASCII at \(offset)")
            #expect(throws: WebhookPayloadError.self, "control character at \(offset)") {
                try GitLabRoutingScanner.scan(Data("{\"ref\": \"\(pad)\u{1F}\(pad)\"}".utf8))
            }
            #expect(throws: WebhookPayloadError.self, "unterminated at \(offset)") {
                try GitLabRoutingScanner.scan(Data("{\"ref\": \"\(pad)".utf8))
            }
        }
    }

    @Test func truncatedAndMutatedSamplesReadAsJSONDecoderReadsThem() throws {
        var generator = SplitMix(state: 7)
        for name in Self.samples {
            let bytes = [UInt8](try Self.sample(name))
            for cut in stride(from: 0, to: bytes.count, by: 97) {
                let (scanned, decoded) = Self.both(Data(bytes[..<cut]))
                #expect(scanned == decoded, "\(name) cut at \(cut)")
            }
            for _ in 0..<200 {
                var mutated = bytes
                mutated[Int.random(in: 0..<mutated.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                let (scanned, decoded) = Self.both(Data(mutated))
                if let scanned {
                    #expect(scanned == decoded, "\(name): \(String(decoding: mutated, as: UTF8.self))")
                } else if decoded != nil {
                    #expect(Self.forbiddenInStrings(Data(mutated)), "\(name): \(String(decoding: mutated, as: UTF8.self))")
                }
            }
        }
    }
}

@Suite("Routing scanner: no reading that differs from the processor's")
struct RoutingScannerDuplicateKeyTests {
    @Test func aRoutingKeyGivenTwiceIsRefusedSoTheReceiverAndProcessorCannotDisagree() {
        for body in [#"{"object_kind":"push","object_kind":"tag_push"}"#,
                     #"{"project":{"id":1},"project":{"id":2}}"#,
                     #"{"project":{"path_with_namespace":"a/b","path_with_namespace":"c/d"}}"#] {
            do {
                _ = try GitLabRoutingScanner.scan(Data(body.utf8))
                Issue.record("accepted \(body)")
            } catch {
                #expect(error.reason.contains("the key appears twice"), "\(error)")
            }
        }
        // Other keys may repeat, as JSON allows.
        #expect((try? GitLabRoutingScanner.scan(Data(#"{"x":1,"x":2,"object_kind":"push"}"#.utf8)))?.objectKind == "push")
    }
}
