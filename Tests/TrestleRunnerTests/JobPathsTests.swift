import Foundation
import Testing
@testable import TrestleRunner

@Suite("Job log and workspace paths")
struct JobPathsTests {
    @Test("logs and workspaces stay under the data dir, one directory per workflow, task, attempt and job")
    func pathsStayInside() throws {
        let logs = JobLogs(dataDir: "/data")
        #expect(try logs.path(workflow: "wf", taskID: 7, attempt: 2, job: "build-vote") == "/data/logs/wf/7/2/build-vote.log")
        let workspaces = Workspaces(dataDir: "/data")
        #expect(try workspaces.path(workflow: "wf", taskID: 7, attempt: 2, job: "build-vote") == "/data/workspaces/wf/7/2/build-vote")
    }

    @Test("a job or workflow name that could climb out of the data dir is refused, naming it")
    func climbingNamesRefused() {
        let logs = JobLogs(dataDir: "/data")
        #expect(throws: RunnerError.self) { try logs.path(workflow: "wf", taskID: 1, attempt: 1, job: "../../etc/passwd") }
        #expect(throws: RunnerError.self) { try Workspaces(dataDir: "/data").path(workflow: "..", taskID: 1, attempt: 1, job: "build") }
        do {
            _ = try logs.path(workflow: "wf", taskID: 1, attempt: 1, job: "a/b")
            Issue.record("a name with a slash was accepted")
        } catch {
            #expect("\(error)".contains("'a/b'"))
        }
    }
}
