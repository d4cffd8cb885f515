import Testing
import TrestleCore

@Suite("Commit ids and prefixes")
struct CommitIDTests {
    @Test("a full id in any case is stored lowercase")
    func fullIDLowercases() throws {
        let id = try #require(CommitID("1A2B3C4D5E6F7A8B9C0D1E2F3A4B5C6D7E8F9A0B"))
        #expect(id.hex == "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b")
        #expect(id.short == "1a2b3c4d")
    }

    @Test("ids of the wrong length or with non-hex characters are not commit ids",
          arguments: ["", "1a2b3c4d", "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0", "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0bc",
                      "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0g"])
    func malformedIDs(text: String) {
        #expect(CommitID(text) == nil)
    }

    @Test("prefixes of 4 to 40 hex characters are accepted", arguments: [4, 8, 12, 40])
    func prefixLengths(length: Int) throws {
        let text = String("ABCDEF0123456789abcdef0123456789abcdef01".prefix(length))
        let prefix = try CommitPrefix(parsing: text)
        #expect(prefix.hex == text.lowercased())
        #expect(prefix.isFullID == (length == 40))
    }

    @Test("too short, too long and non-hex prefixes are refused with a reason")
    func badPrefixes() {
        #expect(throws: CommitPrefixError.tooShort("abc")) { try CommitPrefix(parsing: "abc") }
        #expect(throws: CommitPrefixError.notHex("xyz12345")) { try CommitPrefix(parsing: "xyz12345") }
        #expect(throws: CommitPrefixError.notHex("1a2b 3c4")) { try CommitPrefix(parsing: "1a2b 3c4") }
        let long = String(repeating: "a", count: 41)
        #expect(throws: CommitPrefixError.tooLong(long)) { try CommitPrefix(parsing: long) }
        #expect(CommitPrefixError.tooShort("abc").description.contains("at least 4"))
    }

    @Test("the range upper bound sorts after every id with the prefix and before the next prefix")
    func rangeBound() throws {
        let prefix = try CommitPrefix(parsing: "abcd")
        #expect("abcdffffffffffffffffffffffffffffffffffff" < prefix.rangeUpperBound)
        #expect("abce" > prefix.rangeUpperBound)
        #expect("abcd" >= prefix.hex && "abcd" < prefix.rangeUpperBound)
        #expect(!("abcc" >= prefix.hex))
    }
}
