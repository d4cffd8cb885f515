import Synchronization
import TrestleCore

/// The base of task links. When the config names no external_url and the server binds
/// port 0, links follow the port actually bound.
final class LinkBase: Sendable {
    private let value: Mutex<String>
    private let followsListen: Bool
    private let host: String

    init(server: ServerConfig) {
        value = Mutex(server.externalURL)
        followsListen = server.externalURLFollowsListen
        host = server.listen.host
    }

    var url: String { value.withLock { $0 } }

    func bound(port: Int) {
        guard followsListen else { return }
        value.withLock { $0 = "http://\(ListenAddress(host: host, port: port))" }
    }

    func taskURL(_ summary: TaskSummary) -> String {
        TaskLinks.url(externalURL: url, project: summary.project, workflow: summary.workflow, taskID: summary.taskID)
    }

    func jobLogURL(_ summary: TaskSummary, job: String) -> String {
        TaskLinks.jobLogURL(externalURL: url, workflow: summary.workflow, taskID: summary.taskID, job: job)
    }
}
