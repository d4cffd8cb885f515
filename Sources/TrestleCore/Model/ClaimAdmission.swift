/// Which created tasks an executor starts now: the store reads what runs and the oldest created
/// tasks, this decides, and the store moves exactly the chosen ones to `running`.
public enum ClaimAdmission {
    public struct Candidate: Sendable, Hashable {
        /// The store's key of the task row.
        public var key: Int64
        public var workflow: String

        public init(key: Int64, workflow: String) {
            self.key = key
            self.workflow = workflow
        }
    }

    /// How many of the oldest created tasks to read: none when this executor has no free slot
    /// (`mine` of its `limits.total` run now); otherwise a bounded look-ahead, so a workflow at
    /// its limit cannot hide the tasks of others behind it.
    public static func lookAhead(mine: Int, limits: RunLimits) -> Int {
        let free = limits.total - mine
        return free > 0 ? max(free * 8, 64) : 0
    }

    /// The candidates to start, oldest first, each admitted given the ones admitted before it:
    /// `running` by workflow counts every executor's tasks, `mine` this executor's.
    public static func admit(_ candidates: [Candidate], running: [String: Int], mine: Int, limits: RunLimits) -> [Candidate] {
        var running = running
        var mine = mine
        var admitted: [Candidate] = []
        for candidate in candidates where limits.admits(candidate.workflow, running: running, mine: mine) {
            admitted.append(candidate)
            running[candidate.workflow, default: 0] += 1
            mine += 1
        }
        return admitted
    }
}
