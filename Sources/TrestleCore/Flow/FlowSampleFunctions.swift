/// The two functions seed 002's sample descriptor calls (`/flow/sample/start_node.json` and
/// `/flow/sample/end_node.json`), which Rill Flow serves itself so its quick start runs with
/// nothing else installed. Trestle serves them too, over these pure functions.
public enum FlowSampleFunctions {
    /// The start node: `{"left": a, "right": b}` gives `{"result_number": a + b}`.
    public static func startNode(_ input: JSONValue) -> Result<JSONValue, FlowFailure> {
        guard let fields = input.objectValue else {
            return .failure(.invalid("start_node.json takes a JSON object with numbers left and right"))
        }
        guard case .number(let left)? = fields["left"], case .number(let right)? = fields["right"] else {
            return .failure(.invalid("start_node.json needs numbers left and right, e.g. {\"left\": 512, \"right\": 512}"))
        }
        return .success(.object(["result_number": .number(left + right)]))
    }

    /// The end node: succeeds with `{"result_number": n, "passed": true}` when `result_number`
    /// equals `expect_number`, and fails (so the flow fails) when they differ.
    public static func endNode(_ input: JSONValue) -> Result<JSONValue, FlowFailure> {
        guard let fields = input.objectValue,
              case .number(let result)? = fields["result_number"], case .number(let expected)? = fields["expect_number"] else {
            return .failure(.invalid("end_node.json needs numbers result_number and expect_number"))
        }
        guard result == expected else {
            return .failure(.invalid("result_number \(JSONValue.number(result).plainText) is not expect_number \(JSONValue.number(expected).plainText)"))
        }
        return .success(.object(["result_number": .number(result), "passed": .bool(true)]))
    }
}
