/// Resource limits of one job: `limits: { memory_mb, pids, cpu_seconds, file_size_mb, open_files }`,
/// set on the executor (defaults for every job), workflows, targets and stage jobs. Each limit
/// comes from the most specific place that sets it.
public struct JobLimits: Sendable, Hashable {
    /// Megabytes of data memory a process of the job may map (RLIMIT_DATA).
    public var memoryMB: Int?
    /// Processes and threads the job may run at once (RLIMIT_NPROC, counted in the job's own user namespace).
    public var pids: Int?
    /// CPU seconds a process of the job may use (RLIMIT_CPU).
    public var cpuSeconds: Int?
    /// Megabytes a file written by the job may grow to (RLIMIT_FSIZE).
    public var fileSizeMB: Int?
    /// Files a process of the job may hold open (RLIMIT_NOFILE).
    public var openFiles: Int?

    public init(memoryMB: Int? = nil, pids: Int? = nil, cpuSeconds: Int? = nil, fileSizeMB: Int? = nil, openFiles: Int? = nil) {
        self.memoryMB = memoryMB
        self.pids = pids
        self.cpuSeconds = cpuSeconds
        self.fileSizeMB = fileSizeMB
        self.openFiles = openFiles
    }

    /// What a job gets when nothing is configured: enough for real builds, not enough to take the machine.
    public static let defaults = JobLimits(memoryMB: 4_096, pids: 1_024, cpuSeconds: nil, fileSizeMB: 10_240, openFiles: 4_096)

    /// These limits, with what they leave unset taken from `general`.
    public func over(_ general: JobLimits) -> JobLimits {
        JobLimits(memoryMB: memoryMB ?? general.memoryMB, pids: pids ?? general.pids,
                  cpuSeconds: cpuSeconds ?? general.cpuSeconds, fileSizeMB: fileSizeMB ?? general.fileSizeMB,
                  openFiles: openFiles ?? general.openFiles)
    }

    /// The limits of a job: the stage job's or target's own, then the workflow's, then the executor's.
    public static func effective(job: JobLimits?, workflow: JobLimits?, executor: JobLimits) -> JobLimits {
        (job ?? JobLimits()).over((workflow ?? JobLimits()).over(executor))
    }

    /// `prlimit` options for every limit but `pids`, which is set inside the sandbox (see `Sandbox`).
    public var processOptions: [String] {
        var options: [String] = []
        if let memoryMB { options.append("--data=\(memoryMB << 20)") }
        if let cpuSeconds { options.append("--cpu=\(cpuSeconds):\(cpuSeconds + 1)") }
        if let fileSizeMB { options.append("--fsize=\(fileSizeMB << 20)") }
        if let openFiles { options.append("--nofile=\(openFiles)") }
        return options
    }

    public var pidsOption: String? { pids.map { "--nproc=\($0)" } }
}
