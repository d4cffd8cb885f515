import Foundation
import Logging
import Synchronization

/// `--log-format json`: one JSON object a line on stderr, for log pipelines: `time` (ISO 8601,
/// UTC, milliseconds), `level`, `label`, `message`, `source`, and every metadata value under its
/// own key (`workflow`, `task`, `delivery`, `runner`, Hummingbird's `hb.request.id`, …). It
/// formats what the code logs, which never holds a secret (tokens and URLs' credentials are left
/// out or redacted where they are logged).
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let output: JSONLogOutput

    public init(label: String, output: JSONLogOutput = .standardError, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.output = output
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String,
                    file: String, function: String, line: UInt) {
        var fields: [String: Any] = [:]
        let provided = metadataProvider?.get() ?? [:]
        for (key, value) in metadata.merging(provided, uniquingKeysWith: { $1 }).merging(explicit ?? [:], uniquingKeysWith: { $1 }) {
            fields[key] = Self.json(value)
        }
        fields["time"] = Self.timestamp(Date())
        fields["level"] = level.rawValue
        fields["label"] = label
        fields["message"] = message.description
        fields["source"] = source
        output.write(Self.line(fields))
    }

    /// One line of JSON, keys sorted (so lines diff well).
    static func line(_ fields: [String: Any]) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return #"{"level":"error","message":"a log line could not be written as JSON"}"#
        }
        return String(decoding: data, as: UTF8.self)
    }

    static func json(_ value: Logger.Metadata.Value) -> Any {
        switch value {
        case .string(let text): text
        case .stringConvertible(let convertible): convertible.description
        case .array(let values): values.map(json)
        case .dictionary(let dictionary): dictionary.mapValues(json)
        }
    }

    /// Made once: a formatter per line cost more than the line.
    private static let timeStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    static func timestamp(_ date: Date) -> String {
        date.formatted(timeStyle)
    }
}

/// Where JSON log lines go: stderr, or (in tests) a buffer.
public final class JSONLogOutput: Sendable {
    public static let standardError = JSONLogOutput(buffered: false)

    private let buffered: Bool
    private let lines = Mutex<[String]>([])

    private init(buffered: Bool) { self.buffered = buffered }

    /// Keeps lines instead of writing them.
    public static func buffer() -> JSONLogOutput { JSONLogOutput(buffered: true) }

    public var written: [String] { lines.withLock { $0 } }

    func write(_ line: String) {
        lines.withLock { lines in
            // Under the lock: lines from several threads never interleave.
            if buffered {
                lines.append(line)
            } else {
                FileHandle.standardError.write(Data((line + "\n").utf8))
            }
        }
    }
}
