#if os(Linux)
import CMalloc
#endif

enum MemoryTuning {
    /// SQLite allocates and frees its read buffers on every read transaction; with glibc's
    /// default 128 KiB trim threshold each free hands pages back to the kernel (madvise, TLB
    /// shootdowns on every core) and the next read faults them in again. Keeping up to 64 MiB
    /// of freed memory per arena raised the commitId route from ~6.4k to ~10.8k requests/s
    /// in `make bench` (A/B with MALLOC_TRIM_THRESHOLD_, same store, same run).
    static func keepFreedMemoryForReuse() {
        #if os(Linux)
        _ = mallopt(M_TRIM_THRESHOLD, 64 << 20)
        #endif
    }
}
