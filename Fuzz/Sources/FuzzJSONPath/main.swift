import Foundation
import TrestleCore

// A small flow document with objects, lists, nulls and odd member names to walk and write into.
private let document: JSONValue = .object([
    "context": .object([
        "result_number": .number(512),
        "items": .array([.string("a"), .object(["b": .bool(true)]), .null]),
        "a b": .string("spaced"),
        "": .string("empty name"),
        "nothing": .null,
    ]),
    "input": .object(["name": .string("x"), "list": .array([])]),
    "output": .array([.object(["id": .number(1)])]),
])

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONPath(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)
    guard let path = try? JSONPath(parsing: text) else { return 0 }
    _ = path.root
    _ = path.value(in: document)
    _ = path.value(in: .null)
    if let written = try? path.setting(.string("fuzz"), in: document) {
        // What was written reads back at the same path.
        precondition(path.value(in: written) == .string("fuzz"), "'\(path)': the value written does not read back")
    }
    _ = try? path.setting(.array([.number(1)]), in: .null)
    _ = try? path.setting(document, in: .emptyObject)
    return 0
}
