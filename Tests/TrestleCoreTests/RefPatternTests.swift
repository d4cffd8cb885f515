import Testing
import TrestleCore

@Suite("Branch, tag and path patterns")
struct RefPatternTests {
    @Test("globs match whole names: * within a segment, ** across segments, ? one character",
          arguments: [
              ("main", "main", true), ("main", "maintenance", false), ("main", "a/main", false),
              ("release/*", "release/1.2", true), ("release/*", "release/1.2/hotfix", false),
              ("release/**", "release/1.2/hotfix", true), ("v?.0", "v1.0", true), ("v?.0", "v10.0", false),
              ("vote/**", "vote/app.py", true), ("vote/**", "vote/templates/index.html", true),
              ("vote/**", "voter/app.py", false), ("**/*.md", "README.md", true), ("**/*.md", "docs/a/b.md", true),
              ("*.md", "docs/b.md", false), ("v*", "v1.2.0", true), ("v*", "release-v1", false),
          ])
    func globs(pattern: String, name: String, expected: Bool) throws {
        #expect(try RefPattern(pattern).matches(name) == expected)
    }

    @Test("re: patterns are regular expressions anchored at both ends")
    func regexes() throws {
        let hotfix = try RefPattern("re:hotfix-[0-9]+")
        #expect(hotfix.matches("hotfix-12"))
        #expect(!hotfix.matches("hotfix-12-wip"))
        #expect(!hotfix.matches("my-hotfix-12"))
        #expect(try RefPattern("re:main|master").matches("master"))
        #expect(try !RefPattern("re:main|master").matches("maintenance"))
    }

    @Test("an empty pattern and a broken regex are refused with the pattern named")
    func refusals() {
        #expect(throws: PatternError.self) { try RefPattern("") }
        #expect(throws: PatternError.self) { try RefPattern("re:([") }
        do {
            _ = try RefPattern("re:([")
        } catch {
            #expect(error.description.hasPrefix("pattern 're:(['"))
        }
    }
}
