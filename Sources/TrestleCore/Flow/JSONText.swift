import Foundation

/// JSON text of `JSONValue`s with sorted keys, so equal values are equal text.
public enum JSONText {
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    public static func compact(_ value: JSONValue) -> String {
        String(decoding: data(value), as: UTF8.self)
    }

    public static func data(_ value: some Encodable) -> Data {
        (try? encoder.encode(value)) ?? Data("null".utf8)
    }

    /// The JSON in `data`; nil when it is not JSON.
    public static func parse(_ data: Data) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: data)
    }
}
