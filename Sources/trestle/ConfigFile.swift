import Foundation
import TrestleCore

/// Reads a config file and the process environment: the I/O half of config loading.
enum ConfigFile {
    static func load(_ path: String) throws -> TrestleConfig {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(problems: [ConfigProblem(file: path, path: "", line: nil,
                message: "cannot read the file (\(error.localizedDescription)); pass --config with the path of a YAML config, e.g. samples/trestle.yaml")])
        }
        return try ConfigLoader.parse(yaml: text, file: path, environment: ProcessInfo.processInfo.environment)
    }
}
