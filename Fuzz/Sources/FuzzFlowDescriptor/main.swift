import Foundation
import TrestleCore

// A Rill Flow descriptor, as add_descriptor.json's body carries it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFlowDescriptor(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let yaml = String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)
    _ = try? FlowDescriptorParser.parse(yaml: yaml, businessID: "demo", featureName: "fuzz")
    return 0
}
