import Mustache

/// The dashboard's templates, embedded in the binary (`PackageResources`), parsed once.
struct DashboardTemplates: Sendable {
    private let library: MustacheLibrary

    init() throws {
        var library = MustacheLibrary()
        let sources: [(String, [UInt8])] = [
            ("layout", PackageResources.layout_mustache), ("sign-in", PackageResources.sign_in_mustache),
            ("tasks", PackageResources.tasks_mustache), ("task", PackageResources.task_mustache),
            ("log", PackageResources.log_mustache), ("message", PackageResources.message_mustache),
            ("deliveries", PackageResources.deliveries_mustache), ("delivery", PackageResources.delivery_mustache),
            ("workflows", PackageResources.workflows_mustache), ("mirrors", PackageResources.mirrors_mustache),
        ]
        for (name, bytes) in sources {
            try library.register(String(decoding: bytes, as: UTF8.self), named: name)
        }
        self.library = library
    }

    /// The page `name` rendered from `view` (dictionaries and arrays of them; text is HTML-escaped).
    func render(_ name: String, _ view: [String: Any]) -> String {
        library.render(view, withTemplate: name) ?? "template \(name) is missing"
    }
}
