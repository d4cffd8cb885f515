import CYaml

/// How much structure a YAML text may have before anything is built from it.
public struct YAMLLimits: Sendable, Equatable {
    /// Lists and mappings inside one another.
    public var maxDepth: Int
    /// Values after every alias is expanded: a ~1 KB "billion laughs" text names 10⁹ of them.
    public var maxNodes: Int
    /// Bytes of text values after every alias is expanded: one long value, aliased in many
    /// places, costs its length each time it is copied out.
    public var maxBytes: Int

    public init(maxDepth: Int = 64, maxNodes: Int = 500_000, maxBytes: Int = 16 << 20) {
        self.maxDepth = maxDepth
        self.maxNodes = maxNodes
        self.maxBytes = maxBytes
    }

    public static let standard = YAMLLimits()
}

public struct YAMLSafetyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 1-based line of the event that broke a limit.
    public var line: Int
    public var reason: String

    public var description: String { "line \(line): \(reason)" }
}

/// Checks a YAML text event by event with libyaml's own parser, before Yams composes it.
///
/// Yams builds nodes recursively (deep nesting overflows the stack), hashes whole keys to find
/// duplicates (a list or mapping used as a key, or an alias of one, costs exponential time), and its
/// constructor force-unwraps non-text keys. This pass is iterative and keeps only a stack of open
/// containers and the expanded size of each anchor, so it refuses all of those in time linear in
/// the text. A text libyaml cannot parse is left for Yams to report in its own words.
public enum YAMLSafety {
    public static func check(_ yaml: String, limits: YAMLLimits = .standard) throws(YAMLSafetyError) {
        let bytes = Array(yaml.utf8)
        guard !bytes.isEmpty else { return }
        let failure: YAMLSafetyError? = bytes.withUnsafeBufferPointer { buffer in
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else {
                return YAMLSafetyError(line: 1, reason: "the YAML parser could not start; try again")
            }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var scan = EventScan(limits: limits)
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else { return nil }
                defer { yaml_event_delete(&event) }
                if event.type == YAML_STREAM_END_EVENT { return nil }
                if let problem = scan.take(event) { return problem }
            }
        }
        if let failure { throw failure }
    }
}

/// The state of one pass: open containers, running expanded size, anchors' sizes.
private struct EventScan {
    struct Container {
        var isMapping: Bool
        var expectsKey = true
        var anchor: String?
        var totalAtStart: Int
        var bytesAtStart: Int
        /// The deepest nesting below this container, aliases expanded.
        var childHeight = 0
    }

    /// What an alias of an anchor expands to.
    struct Expansion {
        var nodes: Int
        var bytes: Int
        var height: Int
    }

    let limits: YAMLLimits
    var open: [Container] = []
    var total = 0
    var bytes = 0
    var anchors: [String: Expansion] = [:]

    init(limits: YAMLLimits) {
        self.limits = limits
    }

    mutating func take(_ event: yaml_event_t) -> YAMLSafetyError? {
        let line = Int(event.start_mark.line) + 1
        switch event.type {
        case YAML_SCALAR_EVENT:
            if let problem = placeNode(line: line, isContainer: false, isAlias: false) { return problem }
            let length = Int(event.data.scalar.length)
            total += 1
            bytes += length
            if let anchor = text(event.data.scalar.anchor) { anchors[anchor] = Expansion(nodes: 1, bytes: length, height: 0) }
        case YAML_ALIAS_EVENT:
            if let problem = placeNode(line: line, isContainer: false, isAlias: true) { return problem }
            let expansion = text(event.data.alias.anchor).flatMap { anchors[$0] } ?? Expansion(nodes: 1, bytes: 0, height: 0)
            total += expansion.nodes
            bytes += expansion.bytes
            if let last = open.indices.last { open[last].childHeight = max(open[last].childHeight, expansion.height) }
            if open.count + expansion.height > limits.maxDepth {
                return YAMLSafetyError(line: line, reason: "lists and mappings are nested more than \(limits.maxDepth) deep once"
                    + " aliases (*name) are expanded; flatten the document")
            }
        case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
            let isMapping = event.type == YAML_MAPPING_START_EVENT
            if let problem = placeNode(line: line, isContainer: true, isAlias: false) { return problem }
            let anchor = isMapping ? text(event.data.mapping_start.anchor) : text(event.data.sequence_start.anchor)
            open.append(Container(isMapping: isMapping, anchor: anchor, totalAtStart: total, bytesAtStart: bytes))
            total += 1
            if open.count > limits.maxDepth {
                return YAMLSafetyError(line: line, reason: "lists and mappings are nested more than \(limits.maxDepth) deep;"
                    + " flatten the document")
            }
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            guard let closed = open.popLast() else { return nil }
            let height = closed.childHeight + 1
            if let last = open.indices.last { open[last].childHeight = max(open[last].childHeight, height) }
            if let anchor = closed.anchor {
                anchors[anchor] = Expansion(nodes: total - closed.totalAtStart, bytes: bytes - closed.bytesAtStart, height: height)
            }
        default:
            return nil
        }
        guard total <= limits.maxNodes else {
            return YAMLSafetyError(line: line, reason: "the document holds more than \(limits.maxNodes) values once its"
                + " aliases (*name) are expanded; write it with fewer or smaller aliases")
        }
        guard bytes <= limits.maxBytes else {
            return YAMLSafetyError(line: line, reason: "the document's values come to more than \(limits.maxBytes) bytes once its"
                + " aliases (*name) are expanded; write it with fewer or smaller aliases")
        }
        return nil
    }

    /// Keys must be text: a list, a mapping or an alias as a key is refused where it stands.
    private mutating func placeNode(line: Int, isContainer: Bool, isAlias: Bool) -> YAMLSafetyError? {
        guard let last = open.indices.last, open[last].isMapping else { return nil }
        let isKey = open[last].expectsKey
        open[last].expectsKey.toggle()
        guard isKey else { return nil }
        if isContainer {
            return YAMLSafetyError(line: line, reason: "a list or mapping is used as a mapping key; keys must be plain"
                + " text such as name:")
        }
        if isAlias {
            return YAMLSafetyError(line: line, reason: "an alias (*name) is used as a mapping key; write the key as text")
        }
        return nil
    }

    private func text(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: $0) }
    }
}
