import Logging
import ServiceLifecycle
import TrestleCore
import TrestleGit

/// Fetches every mirror each `mirrors.refresh_interval` seconds (0 turns it off), first after one
/// interval, so that start-up never waits on remotes. Stops at graceful shutdown.
struct MirrorRefreshService: Service {
    let mirrors: MirrorSet
    let interval: Int
    let logger: Logger

    func run() async throws {
        guard interval > 0, !mirrors.all.isEmpty else {
            try? await gracefulShutdown()
            return
        }
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: .seconds(interval))
                } catch {
                    return
                }
                for mirror in mirrors.all {
                    do {
                        let outcome = try await mirror.sync()
                        logger.debug("mirror refreshed", metadata: ["repo": "\(mirror.name)", "refs": "\(outcome.refCount)"])
                    } catch {
                        logger.warning("mirror refresh failed", metadata: ["error": "\(error)"])
                    }
                }
            }
        }
    }
}
