/// Seed 001's create answer, exactly its two keys.
struct AslanCreatedView: Encodable {
    let pipeline_name: String
    let task_id: Int64
}
