/// Comparison of secrets (token digests, callback tokens) whose time does not depend on where
/// the two first differ, so timing does not give a secret away byte by byte.
///
/// Concrete on purpose: a generic version called from another module ran unspecialized, and
/// `make bench` found it at 37 % of the webhook handler's time, in runtime metadata lookups.
public enum ConstantTime {
    public static func equal(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices {
            difference |= lhs[index] ^ rhs[index]
        }
        return difference == 0
    }

    public static func equal(_ lhs: String, _ rhs: String) -> Bool {
        equal(Array(lhs.utf8), Array(rhs.utf8))
    }
}
