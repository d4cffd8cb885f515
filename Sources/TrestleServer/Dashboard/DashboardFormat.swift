import Foundation
import TrestleCore

/// How the dashboard writes times, durations, triggers and branches.
enum DashboardFormat {
    /// `2026-12-06 21:19 UTC`; empty for 0 (never).
    private static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        return calendar
    }()

    static func time(_ seconds: Int64) -> String {
        guard seconds > 0 else { return "" }
        let parts = utc.dateComponents([.year, .month, .day, .hour, .minute], from: Date(timeIntervalSince1970: TimeInterval(seconds)))
        func two(_ value: Int?) -> String { String(format: "%02d", value ?? 0) }
        return "\(parts.year ?? 0)-\(two(parts.month))-\(two(parts.day)) \(two(parts.hour)):\(two(parts.minute)) UTC"
    }

    /// `1 h 2 min`, `3 min 4 s`, `5 s`; running durations count to `now`; empty before a start.
    static func duration(start: Int64, end: Int64, now: Int64) -> String {
        guard start > 0 else { return "" }
        let seconds = max(0, (end > 0 ? end : now) - start)
        if seconds >= 3_600 { return "\(seconds / 3_600) h \(seconds % 3_600 / 60) min" }
        if seconds >= 60 { return "\(seconds / 60) min \(seconds % 60) s" }
        return "\(seconds) s"
    }

    /// What made the task: push, MR !N, tag, API, CLI, release, restart.
    static func trigger(kind: TriggerKind, origin: TaskOrigin, arguments: TaskArguments) -> String {
        switch kind {
        case .restart: return "restart"
        case .cli: return "CLI"
        case .webhook:
            switch origin.event {
            case .push: return "push"
            case .tagPush: return "tag"
            case .mergeRequest, .note:
                let pr = arguments.targets.first?.build.repos.first?.pr ?? 0
                return pr > 0 ? "MR !\(pr)" : "merge request"
            case .api: return "webhook"
            }
        case .api:
            return arguments.targets.isEmpty && !arguments.releaseImages.isEmpty ? "release" : "API"
        }
    }

    /// The first repo's branch, or `!N` for a merge request.
    static func branch(_ arguments: TaskArguments) -> String {
        guard let repo = arguments.targets.first?.build.repos.first else { return "" }
        return repo.pr > 0 ? "!\(repo.pr)" : repo.branch
    }

    static func commit(_ arguments: TaskArguments) -> String {
        String(arguments.targets.first?.build.repos.first?.commitID?.hex.prefix(8) ?? "")
    }
}
