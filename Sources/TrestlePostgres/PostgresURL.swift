import Foundation
import NIOSSL
import PostgresNIO
import TrestleStore

/// A `postgres://user:password@host:port/database?sslmode=...` URL as postgres-nio's client
/// configuration. `sslmode` follows libpq: `disable`, `prefer` (the default), `require` (encrypted,
/// unverified), `verify-ca` and `verify-full` (the server's certificate checked against the system's
/// roots, and its name). Errors name the URL without its password.
enum PostgresURL {
    static func configuration(_ text: String, poolSize: Int) throws -> PostgresClient.Configuration {
        guard let url = URLComponents(string: text), url.scheme == "postgres" || url.scheme == "postgresql",
              let host = url.host, !host.isEmpty else {
            throw StoreError(operation: "read storage.postgres.url",
                             detail: "'\(redacted(text))' is not a postgres://USER:PASSWORD@HOST:PORT/DATABASE URL")
        }
        let user = url.percentEncodedUser.flatMap { $0.removingPercentEncoding } ?? "postgres"
        let password = url.percentEncodedPassword.flatMap { $0.removingPercentEncoding }
        let database = String(url.path.drop { $0 == "/" })
        let mode = url.queryItems?.first { $0.name == "sslmode" }?.value ?? "prefer"
        let tls: PostgresClient.Configuration.TLS
        switch mode {
        case "disable":
            tls = .disable
        case "allow", "prefer":
            tls = .prefer(unverified())
        case "require":
            tls = .require(unverified())
        case "verify-ca", "verify-full":
            tls = .require(.makeClientConfiguration())
        default:
            throw StoreError(operation: "read storage.postgres.url",
                             detail: "sslmode '\(mode)' is not one of disable, allow, prefer, require, verify-ca, verify-full")
        }
        var configuration = PostgresClient.Configuration(host: host, port: url.port ?? 5432, username: user, password: password,
                                                         database: database.isEmpty ? user : database, tls: tls)
        configuration.options.maximumConnections = poolSize
        // Every statement here finds rows by key or key range, which a generic plan serves as well
        // as a custom one; re-planning each execution of the status query cost more CPU than running it.
        // Without parallel workers: the generic plan of the status query at a million tasks was a
        // parallel bitmap scan, 16 ms of worker start-up for one row.
        configuration.options.additionalStartupParameters = [
            ("plan_cache_mode", "force_generic_plan"), ("max_parallel_workers_per_gather", "0"),
        ]
        return configuration
    }

    private static func unverified() -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        return tls
    }

    /// The URL with its password replaced.
    static func redacted(_ text: String) -> String {
        guard var url = URLComponents(string: text), url.password != nil else { return text }
        url.password = "***"
        return url.string ?? "postgres://***"
    }
}
