/// Seed 003 (CodeArts "get pipeline status") words and times for the core's task, stage and job
/// statuses: pure functions, so the mapping is tested without a server.
public enum CodeArtsStatus {
    /// `waiting`, `running` or `completed` (the seed's `verifying` and `suspending` have no core twin).
    public static func status(_ status: TaskStatus) -> String {
        switch status {
        case .created: "waiting"
        case .running: "running"
        case .passed, .failed, .timeout, .cancelled: "completed"
        }
    }

    /// `success`, `error` or `aborted` once final; nil (JSON null) before.
    public static func outcome(_ status: TaskStatus) -> String? {
        switch status {
        case .created, .running: nil
        case .passed: "success"
        case .failed, .timeout: "error"
        case .cancelled: "aborted"
        }
    }

    /// A job's `error_code`: why it did not succeed, or nil when it did or has not ended.
    public static func errorCode(_ status: TaskStatus) -> String? {
        switch status {
        case .created, .running, .passed: nil
        case .failed: "TRESTLE.JOB_FAILED"
        case .timeout: "TRESTLE.JOB_TIMEOUT"
        case .cancelled: "TRESTLE.JOB_ABORTED"
        }
    }

    /// `yyyy-MM-dd HH:mm:ss` in UTC of Unix seconds; nil for 0 (not yet).
    public static func time(_ seconds: Int64) -> String? {
        guard seconds > 0 else { return nil }
        let days = seconds.quotient(86_400)
        let second = seconds - days * 86_400
        let (year, month, day) = civil(days: days)
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2)) \(pad(second / 3600, 2)):\(pad(second % 3600 / 60, 2)):\(pad(second % 60, 2))"
    }

    /// `HH:mm:ss` from `start` to `end`, or to `now` while running; nil before the start.
    public static func elapsed(start: Int64, end: Int64, now: Int64) -> String? {
        guard start > 0 else { return nil }
        let seconds = max((end > 0 ? end : now) - start, 0)
        return "\(pad(seconds / 3600, 2)):\(pad(seconds % 3600 / 60, 2)):\(pad(seconds % 60, 2))"
    }

    /// Year, month and day of a day count from 1970-01-01 (proleptic Gregorian).
    static func civil(days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = z.quotient(146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(width - text.count, 0)) + text
    }
}

private extension Int64 {
    /// Division rounding toward negative infinity.
    func quotient(_ divisor: Int64) -> Int64 {
        let q = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? q - 1 : q
    }
}
