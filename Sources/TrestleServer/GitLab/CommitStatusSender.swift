import AsyncHTTPClient
import Foundation
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import TrestleCore
import TrestleRunner
import TrestleStore

/// Sends webhook tasks' commit statuses to GitLab (`POST /api/v4/projects/:id/statuses/:sha`)
/// from the store's queue, so a send never blocks or fails a task: every state change is queued
/// in the transaction that makes it, and this service works through the queue. With merge request
/// notes on, a task built for a merge request gets one note when it ends, edited (not repeated)
/// when a later attempt ends.
///
/// Order and idempotence come from the queue: it holds one wanted state per task, which only moves
/// forward within an attempt, and this one loop sends it; a refused or failed send is retried with
/// backoff (409, 429, 5xx, 401/403 and unreachable) or given up (other 4xx), its error kept in the
/// task's record and logged.
final class CommitStatusSender: Service, Sendable {
    static let poll: Duration = .seconds(1)
    static let batch = 50
    /// 2 s, doubling, at most 5 minutes apart.
    static let backoff = RetryBackoff(first: .seconds(2), longest: .seconds(300))
    static let requestTimeout: TimeAmount = .seconds(20)

    private let gitlab: GitLabConfig
    private let projects: GitLabProjects
    private let store: any TaskStore
    private let links: LinkBase
    private let logger: Logger
    private let now: @Sendable () -> Int64
    /// How long a claimed send stays this process's: other nodes sharing the store skip it
    /// meanwhile, and take it up after that if this process died holding it.
    private let claimSeconds: Int64

    init(gitlab: GitLabConfig, projects: GitLabProjects, store: any TaskStore, links: LinkBase, logger: Logger,
         claimSeconds: Int, now: @escaping @Sendable () -> Int64) {
        self.claimSeconds = Int64(claimSeconds)
        self.gitlab = gitlab
        self.projects = projects
        self.store = store
        self.links = links
        self.logger = logger
        self.now = now
    }

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while true {
                await self.sendDue()
                await self.sendNotes()
                try await Task.sleep(for: Self.poll)
            }
        }
    }

    func sendDue() async {
        let due: [CommitStatusSend]
        do {
            let time = now()
            due = try await store.dueCommitStatuses(now: time, limit: Self.batch, claimingUntil: time + claimSeconds)
        } catch {
            logger.error("cannot read the commit statuses to send", metadata: ["reason": "\(error)"])
            return
        }
        for send in due {
            let (error, retry) = await post(send)
            if let error {
                logger.warning("GitLab commit status not sent", metadata: [
                    "workflow": "\(send.task.workflow)", "task": "\(send.task.taskID)", "state": "\(send.state.rawValue)",
                    "reason": "\(error)", "retry": "\(retry ? "yes" : "no, given up")",
                ])
            }
            Self.sent("status", error: error, retry: retry)
            do {
                try await store.commitStatusSent(send, error: error, retryAt: error != nil && retry ? now() + backoff(send.tries) : nil)
            } catch {
                logger.error("cannot record a commit status send", metadata: ["reason": "\(error)"])
            }
        }
    }

    func sendNotes() async {
        let due: [MergeRequestNoteSend]
        do {
            let time = now()
            due = try await store.dueMergeRequestNotes(now: time, limit: Self.batch, claimingUntil: time + claimSeconds)
        } catch {
            logger.error("cannot read the merge request notes to send", metadata: ["reason": "\(error)"])
            return
        }
        for send in due {
            let project: Int
            switch await projectID(repo: send.repo, stored: send.projectID) {
            case .success(let id): project = id
            case .failure(let error):
                try? await store.mergeRequestNoteSent(send, noteID: nil, error: error.description, retryAt: now() + backoff(send.tries))
                continue
            }
            let path = "/projects/\(project)/merge_requests/\(send.mergeRequestIID)/notes"
            let body = ["body": "Trestle: workflow **\(send.task.workflow)**, task [\(send.task.taskID)](\(links.taskURL(send.task))) "
                + "attempt \(send.attempt): **\(send.status.rawValue)**"]
            var answer = if let noteID = send.noteID {
                await request(.PUT, "\(path)/\(noteID)", body)
            } else {
                await request(.POST, path, body)
            }
            if send.noteID != nil, answer.code == 404 {
                // The note was deleted in GitLab: post a new one.
                answer = await request(.POST, path, body)
            }
            let (error, retry) = (answer.error, answer.retry)
            let noteID = answer.body.flatMap { (try? JSONSerialization.jsonObject(with: $0)) as? [String: Any] }?["id"] as? Int
            if let error {
                logger.warning("GitLab merge request note not sent", metadata: [
                    "workflow": "\(send.task.workflow)", "task": "\(send.task.taskID)", "reason": "\(error)",
                ])
            }
            Self.sent("note", error: error, retry: retry)
            do {
                try await store.mergeRequestNoteSent(send, noteID: noteID, error: error,
                                                     retryAt: error != nil && retry ? now() + backoff(send.tries) : nil)
            } catch {
                logger.error("cannot record a merge request note send", metadata: ["reason": "\(error)"])
            }
        }
    }

    /// GitLab sends by kind and result, for `/metrics`.
    private static func sent(_ kind: String, error: String?, retry: Bool) {
        let result = error == nil ? "sent" : retry ? "retried" : "given_up"
        Counter(label: "trestle_gitlab_sends_total", dimensions: [("kind", kind), ("result", result)]).increment()
    }

    /// The repo's project as configured or looked up (`GitLabProjects`); rows queued before repos
    /// were recorded carry the id they were made with.
    private func projectID(repo: String, stored: Int) async -> Result<Int, GitLabLookupError> {
        guard !repo.isEmpty else { return .success(stored) }
        do {
            return .success(try await projects.id(of: repo))
        } catch {
            return .failure(error)
        }
    }

    private func backoff(_ tries: Int) -> Int64 {
        Self.backoff.delay(afterFailures: tries + 1).components.seconds
    }

    /// nil when GitLab took it; else why not, and whether trying again may help.
    private func post(_ send: CommitStatusSend) async -> (String?, Bool) {
        let body: [String: String] = [
            "state": send.state.rawValue, "ref": send.target.ref, "name": send.task.workflow,
            "target_url": links.taskURL(send.task),
            "description": "Trestle task \(send.task.taskID), attempt \(send.attempt): \(send.state.rawValue)",
        ]
        let project: Int
        switch await projectID(repo: send.target.repo, stored: send.target.projectID) {
        case .success(let id): project = id
        case .failure(let error): return (error.description, true)
        }
        let answer = await request(.POST, "/projects/\(project)/statuses/\(send.target.sha.hex)", body,
                                   what: "\(send.state.rawValue) of \(send.target.sha.short)")
        return (answer.error, answer.retry)
    }

    /// What one call of GitLab's API came to: its body when GitLab took the request; else why not,
    /// and whether trying again may help (409, 429, 5xx, 401/403 and unreachable).
    private struct Answer {
        var code: UInt?
        var body: Data?
        var error: String?
        var retry = false
    }

    private func request(_ method: HTTPMethod, _ path: String, _ body: [String: String], what: String? = nil) async -> Answer {
        var request = HTTPClientRequest(url: "\(gitlab.url)/api/v4\(path)")
        request.method = method
        request.headers.add(name: "PRIVATE-TOKEN", value: gitlab.token.value)
        request.headers.add(name: "Content-Type", value: "application/json")
        do {
            request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])))
            let response = try await OutboundHTTP.client.execute(request, timeout: Self.requestTimeout)
            let answer = try await response.body.collect(upTo: 256 * 1024)
            let code = response.status.code
            if (200..<300).contains(code) { return Answer(code: code, body: Data(buffer: answer)) }
            let text = String(buffer: answer).prefix(300)
            return Answer(code: code, error: "GitLab answered \(code) for \(what ?? "\(method.rawValue) \(path)"): \(text)",
                          retry: code == 409 || code == 429 || code >= 500 || code == 401 || code == 403)
        } catch {
            return Answer(error: "cannot reach GitLab at \(URLRedaction.redact(gitlab.url)): \(error)", retry: true)
        }
    }
}
