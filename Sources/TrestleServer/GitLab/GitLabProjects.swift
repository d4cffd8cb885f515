import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization
import TrestleCore
import TrestleRunner

/// The numeric GitLab project of each configured repo: where its commit statuses and merge request
/// notes go, and what a delivery's `project.id` must say.
///
/// It comes from the config (`gitlab_project_id`, or a numeric `gitlab_project`) or is looked up
/// once by path through GitLab's API and kept; never from a payload, which anyone holding one repo's
/// webhook secret can write, so that a delivery cannot make Trestle post with its own token to
/// another project.
final class GitLabProjects: Sendable {
    private let gitlab: GitLabConfig?
    private let repos: [String: RepoConfig]
    private let found: Mutex<[String: Int]>

    init(config: TrestleConfig) {
        gitlab = config.gitlab
        repos = Dictionary(config.repos.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        found = Mutex(Dictionary(config.repos.compactMap { repo in repo.knownGitLabProjectID.map { (repo.name, $0) } },
                                 uniquingKeysWith: { first, _ in first }))
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
