import ArgumentParser
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

    /// `load` for a command: an invalid config is printed on stderr and the command exits 2.
    static func loadForCommand(_ path: String) throws -> TrestleConfig {
        do {
            return try load(path)
        } catch let error as ConfigError {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}
