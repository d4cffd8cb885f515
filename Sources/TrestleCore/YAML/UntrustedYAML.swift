import Foundation
import Yams

/// Reads YAML that a caller sent (a Rill Flow descriptor) into plain values: `[String: Any]`,
/// `[Any]`, `String`, `Int`, `Double`, `Bool` and `NSNull`.
///
/// The text passes `YAMLSafety` first, then Yams composes it, and the values are built here rather
/// than by Yams' `Constructor`, whose mapping and `!!set` constructors trap on keys that are not text
/// and whose explicit tags (`!!binary`, `!!timestamp`, `!!omap`) would let the caller choose types.
public enum UntrustedYAML {
    public static func load(_ yaml: String, limits: YAMLLimits = .standard) throws -> Any? {
        try YAMLSafety.check(yaml, limits: limits)
        guard let node = try Yams.compose(yaml: yaml) else { return nil }
        return value(node)
    }

    /// Depth is bounded by the safety check, so this recursion is too.
    private static func value(_ node: Node) -> Any {
        switch node {
        case .scalar(let scalar):
            return self.scalar(scalar, tag: Resolver.default.resolveTag(of: node))
        case .sequence(let sequence):
            return sequence.map(value)
        case .mapping(let mapping):
            var fields: [String: Any] = [:]
            for (key, element) in mapping {
                // The safety check admits only scalar keys; a later duplicate is refused by Yams.
                guard let name = key.scalar?.string else { continue }
                if name == "<<" {
                    let merged = value(element)
                    for source in (merged as? [Any] ?? [merged]).compactMap({ $0 as? [String: Any] }) {
                        fields.merge(source) { own, _ in own }
                    }
                } else {
                    fields[name] = value(element)
                }
            }
            return fields
        case .alias:
            return NSNull()
        }
    }

    /// Plain scalars by the core schema's patterns; quoted ones and explicit tags stay text.
    private static func scalar(_ scalar: Node.Scalar, tag: Tag.Name) -> Any {
        guard scalar.style == .plain || scalar.style == .any else { return scalar.string }
        return switch tag {
        case .null: NSNull()
        case .bool: Bool.construct(from: scalar).map { $0 as Any } ?? scalar.string
        // YAML 1.1's base-60 integers (`1:0:0:…`) overflow with a trap in Yams' constructor.
        case .int: scalar.string.contains(":") ? scalar.string : Int.construct(from: scalar).map { $0 as Any } ?? scalar.string
        case .float: Double.construct(from: scalar).map { $0 as Any } ?? scalar.string
        default: scalar.string
        }
    }
}
