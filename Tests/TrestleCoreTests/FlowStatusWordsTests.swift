import Testing
import TrestleCore

@Suite("Flow status words and process percent from job statuses")
struct FlowStatusWordsTests {
    static let rules = JobRules(needs: ["b": ["a"], "c": ["b"]], allowedToFail: ["b"])

    static func jobs(_ statuses: [TaskStatus], started: Bool = true) -> [JobRecord] {
        zip(["a", "b", "c"], statuses).map {
            JobRecord(name: $0, kind: .function, target: "", status: $1, startTime: $1 == .created || !started ? 0 : 1)
        }
    }

    static func words(_ jobs: [JobRecord], flow: TaskStatus = .running) -> [String] {
        jobs.map { FlowStatusWords.task($0, in: jobs, rules: rules, flow: flow) }
    }

    @Test func waitingTasksAreNotStartedUntilTheirNeedsEndThenReady() {
        #expect(Self.words(Self.jobs([.running, .created, .created])) == ["RUNNING", "NOT_STARTED", "NOT_STARTED"])
        #expect(Self.words(Self.jobs([.passed, .created, .created])) == ["SUCCEED", "READY", "NOT_STARTED"])
        #expect(Self.words(Self.jobs([.created, .created, .created]), flow: .created) == ["NOT_STARTED", "NOT_STARTED", "NOT_STARTED"])
    }

    @Test func aTolerantTaskThatFailedIsSkippedAndItsSuccessorIsReady() {
        #expect(Self.words(Self.jobs([.passed, .failed, .created])) == ["SUCCEED", "SKIPPED", "READY"])
        #expect(Self.words(Self.jobs([.failed, .created, .created]), flow: .failed) == ["FAILED", "NOT_STARTED", "NOT_STARTED"])
    }

    @Test func dagStatusesUseRillFlowWords() {
        #expect(TaskStatus.allCases.map(FlowStatusWords.dag) == ["NOT_STARTED", "RUNNING", "SUCCEED", "FAILED", "FAILED", "FAILED"])
    }

    @Test func processIsThePercentOfEndedTasks() {
        #expect(FlowStatusWords.process(Self.jobs([.created, .created, .created])) == 0)
        #expect(FlowStatusWords.process(Self.jobs([.passed, .running, .created])) == 33)
        #expect(FlowStatusWords.process(Self.jobs([.passed, .failed, .passed])) == 100)
    }

    @Test func executionIDsMapBackToWorkflowAndTask() {
        let id = FlowIDs.executionID(workflow: "demoFlowTest:demoTest", taskID: 12)
        #expect(id == "demoFlowTest:demoTest_c_12")
        #expect(FlowIDs.task(ofExecution: id)?.workflow == "demoFlowTest:demoTest")
        #expect(FlowIDs.task(ofExecution: id)?.taskID == 12)
        #expect(FlowIDs.task(ofExecution: "a_c_b:c_c_3")?.workflow == "a_c_b:c")
        for bad in ["demoTest_c_1", "a:b_c_x", "a:b", "a:b_c_0"] { #expect(FlowIDs.task(ofExecution: bad) == nil, "\(bad)") }
    }
}
