import ArgumentParser
import Foundation

/// Where the server is and who is asking: `TRESTLE_URL` and `TRESTLE_TOKEN`, which flags override.
struct ClientOptions: ParsableArguments {
    @Option(help: "The server (default $TRESTLE_URL, else http://127.0.0.1:8080).") var url: String?
    @Option(help: "The API token (default $TRESTLE_TOKEN).") var token: String?

    func client() throws -> TrestleClient {
        let environment = ProcessInfo.processInfo.environment
        let base = url ?? environment["TRESTLE_URL"] ?? "http://127.0.0.1:8080"
        guard let parsed = URL(string: base), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
            throw ClientFailure("'\(base)' is not an http(s) URL; pass --url or set TRESTLE_URL, e.g. http://127.0.0.1:8080")
        }
        guard let token = token ?? environment["TRESTLE_TOKEN"], !token.isEmpty else {
            throw ClientFailure("no API token: pass --token or set TRESTLE_TOKEN")
        }
        return TrestleClient(base: base.hasSuffix("/") ? String(base.dropLast()) : base, token: token)
    }
}

/// A duration on the command line: `90`, `90s`, `5m`, `2h`.
struct CommandDuration: ExpressibleByArgument {
    var seconds: Int

    init?(argument: String) {
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600]
        var text = Substring(argument)
        var unit = 1
        if let last = text.last, let factor = units[last] {
            unit = factor
            text = text.dropLast()
        }
        guard let value = Int(text), value > 0 else { return nil }
        seconds = value * unit
    }

    static var defaultCompletionKind: CompletionKind { .default }
}

/// A client-side failure, printed as one line on stderr; the command exits 4.
struct ClientFailure: Error, CustomStringConvertible {
    var description: String
    /// The server could not be reached or failed (5xx): waiting may try again.
    var transient: Bool

    init(_ description: String, transient: Bool = false) {
        self.description = description
        self.transient = transient
    }
}

extension AsyncParsableCommand {
    /// Runs a client command's body: a failure prints its one line and exits 4.
    func reportingFailures(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let exit as ExitCode {
            throw exit
        } catch {
            FileHandle.standardError.write(Data("trestle: \(error)\n".utf8))
            throw ClientExit.error
        }
    }
}
