import Testing
import TrestleCore

@Suite("Task state machine")
struct TaskStateMachineTests {
    static let allowed: [TaskStatus: [TaskEvent: TaskStatus]] = [
        .created: [.start: .running, .cancel: .cancelled],
        .running: [.pass: .passed, .fail: .failed, .timeOut: .timeout, .cancel: .cancelled],
        .failed: [.restart: .created],
        .timeout: [.restart: .created],
        .cancelled: [.restart: .created],
        .passed: [:],
    ]

    @Test("every status and event pair either follows the seed lifecycle or is refused",
          arguments: TaskStatus.allCases, TaskEvent.allCases)
    func transitionsFollowTheSeedLifecycle(status: TaskStatus, event: TaskEvent) {
        if let expected = Self.allowed[status]?[event] {
            #expect((try? TaskStateMachine.next(after: status, on: event)) == expected)
        } else {
            #expect(throws: IllegalTransition(from: status, event: event)) {
                try TaskStateMachine.next(after: status, on: event)
            }
        }
    }

    @Test("restart is refused for created, running and passed tasks with a reason naming the allowed states")
    func restartRefusalExplainsAllowedStates() {
        for status in [TaskStatus.created, .running, .passed] {
            do {
                _ = try TaskStateMachine.next(after: status, on: .restart)
                Issue.record("restart from \(status) was allowed")
            } catch {
                #expect(error.description.contains("only failed, timeout or cancelled"))
                #expect(error.description.contains(status.rawValue))
            }
        }
    }

    @Test("final statuses are exactly passed, failed, timeout and cancelled")
    func finalStatuses() {
        #expect(TaskStatus.allCases.filter(\.isFinal) == [.passed, .failed, .timeout, .cancelled])
    }

    @Test("seed 000 operation codes and messages are the documented ones")
    func seedCodes() {
        #expect(SeedOperation.cancel.code == 6163)
        #expect(SeedOperation.restart.code == 6164)
        #expect(SeedOperation.create.code == 6540)
        #expect(SeedOperation.create.message == "新建或更新wokflow失败")
        #expect(SeedOperation.restart.message == "重试工作流任务失败")
        #expect(SeedOperation.cancel.message == "取消工作流任务失败")
    }
}
