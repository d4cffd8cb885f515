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

    /// A flat string map as a JSON object, keys sorted, without a JSONEncoder:
    /// a delivery's headers are written on the ingest path, once per request.
    public static func object(_ map: [String: String]) -> String {
        var text = "{"
        for (index, key) in map.keys.sorted().enumerated() {
            if index > 0 { text += "," }
            text += quoted(key) + ":" + quoted(map[key] ?? "")
        }
        return text + "}"
    }

    private static func quoted(_ text: String) -> String {
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            return "\"" + text + "\""
        }
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
