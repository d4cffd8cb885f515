import Foundation

/// How the store writes JSON columns: keys sorted, so equal values are equal text (Foundation on
/// Linux otherwise emits keys in hash order, different from run to run). Both engines write with it.
public enum StoreJSON {
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    public static func text<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
