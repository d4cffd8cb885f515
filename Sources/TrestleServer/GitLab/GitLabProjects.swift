import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import TrestleCore
import TrestleRunner

/// The numeric GitLab project of each configured repo: where its commit statuses and merge request
/// notes go, and what a delivery's `project.id` must say.
///
/// It comes from the config (`gitlab_project_id`, or a numeric `gitlab_project`) or is looked up
/// once by path through GitLab's API and kept; never from a payload, which anyone holding one repo's
/// webhook secret can write, so that a delivery cannot make Trestle post with its own token to
/// another project. As a service it looks every repo's id up at start (retrying while GitLab
/// cannot answer), so the receiver knows them, and refuses a disagreeing `project.id`, early.
final class GitLabProjects: Service, Sendable {
    private let gitlab: GitLabConfig?
    private let repos: [String: RepoConfig]
    private let found: Mutex<[String: Int]>
    private let logger: Logger?

    init(config: TrestleConfig, logger: Logger? = nil) {
        self.logger = logger
        gitlab = config.gitlab
        repos = Dictionary(config.repos.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        found = Mutex(Dictionary(config.repos.compactMap { repo in repo.knownGitLabProjectID.map { (repo.name, $0) } },
                                 uniquingKeysWith: { first, _ in first }))
    }

    /// Looks ids up until every repo's is known, then waits for shutdown (a service that returns
    /// would end the whole application).
    func run() async throws {
        guard gitlab != nil else {
            try? await gracefulShutdown()
            return
        }
        let backoff = RetryBackoff(first: .seconds(2), longest: .seconds(300))
        try? await cancelWhenGracefulShutdown {
            var failures = 0
            while true {
                var unknown = 0
                // Only repos that take webhooks get statuses.
                for repo in self.repos.values.filter({ $0.webhookToken != nil }).map(\.name).sorted() where self.known(repo) == nil {
                    do {
                        _ = try await self.id(of: repo)
                    } catch {
                        unknown += 1
                        self.logger?.warning("GitLab project id not known yet", metadata: ["repo": "\(repo)", "reason": "\(error)"])
                    }
                }
                guard unknown > 0 else { break }
                failures += 1
                try await Task.sleep(for: backoff.delay(afterFailures: failures))
            }
        }
        try? await gracefulShutdown()
    }

    /// The id when the config gave it or it was looked up before; no call to GitLab.
    func known(_ repo: String) -> Int? {
        found.withLock { $0[repo] }
    }

    /// The id, asking GitLab (`GET /api/v4/projects/:path`) the first time.
    func id(of repo: String) async throws(GitLabLookupError) -> Int {
        if let id = known(repo) { return id }
        guard let gitlab, let config = repos[repo] else {
            throw GitLabLookupError("repo '\(repo)' has no GitLab project to send statuses to; configure gitlab and the repo's gitlab_project")
        }
        let path = config.gitlabProject ?? config.name
        let encoded = path.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? path
        var request = HTTPClientRequest(url: "\(gitlab.url)/api/v4/projects/\(encoded)")
        request.headers.add(name: "PRIVATE-TOKEN", value: gitlab.token.value)
        let body: ByteBuffer
        let status: UInt
        do {
            let response = try await OutboundHTTP.client.execute(request, timeout: .seconds(20))
            status = response.status.code
            body = try await response.body.collect(upTo: 1 << 20)
        } catch {
            throw GitLabLookupError("cannot ask GitLab at \(URLRedaction.redact(gitlab.url)) for project '\(path)': \(error)")
        }
        guard status == 200 else {
            throw GitLabLookupError("GitLab answered HTTP \(status) for project '\(path)'; check the repo's gitlab_project"
                + " and that the token may read it, or set gitlab_project_id")
        }
        let object = (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any]
        guard let id = object?["id"] as? Int, id > 0 else {
            throw GitLabLookupError("GitLab's answer for project '\(path)' has no numeric id")
        }
        found.withLock { $0[repo] = id }
        return id
    }
}

struct GitLabLookupError: Error, Sendable, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}
