/// Names that end up in paths, URLs and environment variables: letters, digits, `.`, `_`, `-`,
/// starting with a letter or digit, so that no name can climb out of a directory.
public enum Names {
    public static func isValid(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.utf8.count <= 128 else { return false }
        guard isAlphanumeric(first) else { return false }
        return name.unicodeScalars.allSatisfy { isAlphanumeric($0) || $0 == "." || $0 == "_" || $0 == "-" }
    }

    public static let rule = "letters, digits, '.', '_' and '-', starting with a letter or digit, at most 128 characters"

    private static func isAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
    }
}
