import Testing
import TrestleCore

@Suite("Constant-time comparison of secrets")
struct ConstantTimeTests {
    @Test("equal bytes compare equal, and a difference in any position or length does not")
    func differencesAnywhere() {
        let secret: [UInt8] = Array("s3cret-token".utf8)
        #expect(ConstantTime.equal(secret, secret))
        for index in secret.indices {
            var changed = secret
            changed[index] ^= 0x01
            #expect(!ConstantTime.equal(secret, changed), "byte \(index) changed")
        }
        #expect(!ConstantTime.equal(secret, Array(secret.dropLast())))
        #expect(!ConstantTime.equal(secret, secret + [0]))
        #expect(ConstantTime.equal([], []))
    }

    @Test("strings compare by their UTF-8 bytes")
    func strings() {
        #expect(ConstantTime.equal("café", "café"))
        #expect(!ConstantTime.equal("café", "cafe"))
        #expect(!ConstantTime.equal("token", "Token"))
    }
}
