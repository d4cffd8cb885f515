/// Which of a job's limits most likely ended it, from how its command ended and the tail of its
/// output. The kernel reports CPU and file-size limits by signal; memory, process and open-file
/// limits only as failed calls, which the job's tools print.
public enum LimitDiagnosis {
    public static let sigxcpu: Int32 = 24
    public static let sigxfsz: Int32 = 25

    /// The limit named in words ("the memory_mb limit (512 MB)"), or nil when nothing points at one.
    public static func limitHit(signal: Int32?, output tail: String, limits: JobLimits) -> String? {
        if let signal {
            if signal == sigxcpu, let cpu = limits.cpuSeconds { return "the cpu_seconds limit (\(cpu) s)" }
            if signal == sigxfsz, let size = limits.fileSizeMB { return "the file_size_mb limit (\(size) MB)" }
        }
        let text = tail.lowercased()
        if let pids = limits.pids, pidMarkers.contains(where: text.contains) {
            return "the pids limit (\(pids) processes)"
        }
        if let memory = limits.memoryMB, memoryMarkers.contains(where: text.contains) {
            return "the memory_mb limit (\(memory) MB)"
        }
        if let files = limits.openFiles, text.contains("too many open files") {
            return "the open_files limit (\(files))"
        }
        if let size = limits.fileSizeMB, text.contains("file too large") {
            return "the file_size_mb limit (\(size) MB)"
        }
        return nil
    }

    private static let pidMarkers = ["cannot fork", "can't fork", "fork: resource temporarily unavailable",
                                     "fork failed", "resource temporarily unavailable", "pthread_create failed",
                                     "can't start new thread"]
    private static let memoryMarkers = ["cannot allocate memory", "memoryerror", "memory exhausted", "out of memory",
                                        "std::bad_alloc", "failed to allocate"]
}
