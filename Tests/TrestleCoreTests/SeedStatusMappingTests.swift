import Testing
import TrestleCore

@Suite("Seed 003 and 004 status words and times")
struct SeedStatusMappingTests {
    @Test("CodeArts status and outcome follow the README's table for every core status")
    func codeArtsWords() {
        let table: [TaskStatus: (String, String?)] = [
            .created: ("waiting", nil), .running: ("running", nil), .passed: ("completed", "success"),
            .failed: ("completed", "error"), .timeout: ("completed", "error"), .cancelled: ("completed", "aborted"),
        ]
        for status in TaskStatus.allCases {
            let expected = table[status]!
            #expect(CodeArtsStatus.status(status) == expected.0, "\(status)")
            #expect(CodeArtsStatus.outcome(status) == expected.1, "\(status)")
        }
        #expect(CodeArtsStatus.errorCode(.passed) == nil)
        #expect(CodeArtsStatus.errorCode(.running) == nil)
        #expect(CodeArtsStatus.errorCode(.failed) == "TRESTLE.JOB_FAILED")
        #expect(CodeArtsStatus.errorCode(.timeout) == "TRESTLE.JOB_TIMEOUT")
        #expect(CodeArtsStatus.errorCode(.cancelled) == "TRESTLE.JOB_ABORTED")
    }

    @Test("CodeArts times are yyyy-MM-dd HH:mm:ss in UTC, null for a time not reached yet")
    func codeArtsTimes() {
        #expect(CodeArtsStatus.time(0) == nil)
        #expect(CodeArtsStatus.time(1) == "1970-01-01 00:00:01")
        #expect(CodeArtsStatus.time(1_648_842_256) == "2022-04-01 19:44:16")
        #expect(CodeArtsStatus.time(1_639_466_317) == "2021-12-14 07:18:37")
        #expect(CodeArtsStatus.time(951_782_400) == "2000-02-29 00:00:00")
        #expect(CodeArtsStatus.time(4_102_444_799) == "2099-12-31 23:59:59")
    }

    @Test("CodeArts elapsed time runs to the end, or to now while running, as HH:mm:ss")
    func codeArtsElapsed() {
        #expect(CodeArtsStatus.elapsed(start: 0, end: 0, now: 500) == nil)
        #expect(CodeArtsStatus.elapsed(start: 100, end: 137, now: 999) == "00:00:37")
        #expect(CodeArtsStatus.elapsed(start: 100, end: 0, now: 3_761) == "01:01:01")
        #expect(CodeArtsStatus.elapsed(start: 100, end: 0, now: 100 + 100 * 3600) == "100:00:00")
    }

    @Test("AOM status words are lowercase, one per core status")
    func aomWords() {
        #expect(TaskStatus.allCases.map(AOMStatus.word) == ["waiting", "running", "success", "failed", "timeout", "cancelled"])
    }

    @Test("AOM last_update_time is the latest time of the task, its attempts and its jobs")
    func aomLastUpdate() {
        let trigger = TaskTrigger(kind: .api, by: "t")
        let job = JobRecord(name: "build-a", kind: .build, target: "a", status: .running, startTime: 150)
        let record = TaskRecord(
            summary: TaskSummary(taskID: 1, workflow: "w", project: "p", status: .running,
                                 createTime: 100, startTime: 120, endTime: 0),
            env: "dev", trigger: trigger, arguments: TaskArguments(targets: [], releaseImages: []), attempt: 1,
            attempts: [TaskAttempt(number: 1, trigger: trigger, status: .running, createTime: 100, startTime: 120,
                                   endTime: 0, stages: [StageRecord(name: "build", status: .running, jobs: [job])])])
        #expect(AOMStatus.lastUpdateTime(record) == 150)
    }
}
