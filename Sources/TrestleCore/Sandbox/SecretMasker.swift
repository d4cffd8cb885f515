/// Replaces secret values in a job's output with `[masked]` as it streams to the log. A value
/// split across two reads is still caught: the last `longest - 1` bytes wait for the next read.
public struct SecretMasker: Sendable {
    public static let mask = Array("[masked]".utf8)

    private let values: [[UInt8]]
    private let longest: Int
    private var pending: [UInt8] = []

    public init(values: [String]) {
        // Longest first, so a value containing another is masked whole.
        self.values = Set(values.filter { !$0.isEmpty }).map { Array($0.utf8) }.sorted { $0.count > $1.count }
        longest = self.values.first?.count ?? 0
    }

    public var isEmpty: Bool { values.isEmpty }

    /// The bytes of `chunk` (after what was held back) that can be written now, masked.
    public mutating func feed(_ chunk: some Collection<UInt8>) -> [UInt8] {
        guard !values.isEmpty else { return Array(chunk) }
        pending.append(contentsOf: chunk)
        let (out, consumed) = Self.masked(pending, holdBack: longest - 1, values: values)
        pending.removeFirst(consumed)
        return out
    }

    /// Whatever was held back, masked, at the end of the output.
    public mutating func finish() -> [UInt8] {
        let (out, _) = Self.masked(pending, holdBack: 0, values: values)
        pending = []
        return out
    }

    /// Masks `bytes`, leaving unconsumed the last `holdBack` bytes that could begin a value. Every
    /// byte of every match is masked, overlapping matches of different values included, and a run
    /// of masked bytes becomes one `[masked]`; a run still open at the held-back end waits whole.
    private static func masked(_ bytes: [UInt8], holdBack: Int, values: [[UInt8]]) -> (out: [UInt8], consumed: Int) {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        let safeEnd = max(0, bytes.count - holdBack)
        var index = 0
        var runStart: Int?
        var maskEnd = 0
        while index < safeEnd {
            for value in values where index + value.count <= bytes.count && bytes[index] == value[0] {
                if bytes[index..<(index + value.count)].elementsEqual(value) { maskEnd = max(maskEnd, index + value.count) }
            }
            if index < maskEnd {
                runStart = runStart ?? index
            } else {
                if runStart != nil {
                    out.append(contentsOf: mask)
                    runStart = nil
                }
                out.append(bytes[index])
            }
            index += 1
        }
        if let runStart {
            // A run reaching the end of what may be decided: all of it waits for more output,
            // unless this is the end (nothing is held back).
            guard holdBack == 0 else { return (out, runStart) }
            out.append(contentsOf: mask)
            return (out, bytes.count)
        }
        return (out, index)
    }
}
