/// How mappings move values: each mapping reads its `source` from the scope
/// `{"context": …, "input": …, "output": …}` and writes it at its `target`, in order. A source that
/// is missing leaves its target unset (as Rill Flow does).
public enum FlowMappings {
    /// A task's input: its inputMappings applied to the flow context.
    public static func input(for task: FlowTaskSpec, context: JSONValue) throws(JSONPathError) -> JSONValue {
        let scope = try apply(task.inputMappings, to: .object(["context": context, "input": .emptyObject]))
        return scope.objectValue?["input"] ?? .emptyObject
    }

    /// The flow context once a task ended with `output`: its outputMappings applied.
    public static func context(after task: FlowTaskSpec, context: JSONValue, input: JSONValue,
                               output: JSONValue) throws(JSONPathError) -> JSONValue {
        let scope = try apply(task.outputMappings, to: .object(["context": context, "input": input, "output": output]))
        return scope.objectValue?["context"] ?? context
    }

    static func apply(_ mappings: [FlowMapping], to scope: JSONValue) throws(JSONPathError) -> JSONValue {
        var scope = scope
        for mapping in mappings {
            let source = try JSONPath(parsing: mapping.source)
            guard let value = source.value(in: scope) else { continue }
            scope = try JSONPath(parsing: mapping.target).setting(value, in: scope)
        }
        return scope
    }
}
