import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import TrestleCore
import TrestleGit
import TrestleRunner
import TrestleStore

/// Why a config cannot run as a worker: said before anything starts.
public struct WorkerRefusal: Error, CustomStringConvertible {
    public var description: String
}

/// `trestle worker`: the executor alone, on a store shared with API nodes and other workers, with a
/// `/healthz` listener for the load balancer or supervisor. Wired like `buildApplication`, less the
/// API, the webhook receiver and its processor.
public func buildWorker(config fileConfig: TrestleConfig, options: ServeOptions = ServeOptions(),
                        logger: Logger) async throws -> some ApplicationProtocol {
    let config = fileConfig.overriding(listen: options.listen, dataDir: options.dataDir)
    guard config.storage.postgres != nil else {
        throw WorkerRefusal(description: "trestle worker needs storage.postgres: a SQLite store has one executor, the one in"
            + " `trestle serve`; to run workers beside API nodes, move the store to PostgreSQL (trestle store copy)")
    }
    guard config.executor.concurrency > 0 else {
        throw WorkerRefusal(description: "executor.concurrency is 0, so this worker would run nothing; give it 1 or more")
    }
    let store = try await StoreOpening.open(config.storage, logger: logger)
    let links = LinkBase(server: config.server)
    let mirrors = MirrorSet(config: config)
    let projects = GitLabProjects(config: config, logger: logger)
    let isolation = try await JobIsolationSetup.prepare(config: config, configFile: options.configFile, logger: logger)
    let scheduler = try Scheduler(config: config, store: store, mirrors: mirrors, logger: logger, now: options.now,
                                  flowResults: FlowResults(shared: StoreOpening.sharedFlowResults(store)), callbackBase: { links.url }, isolation: isolation,
                                  logStore: StoreOpening.sharedLogStore(store))
    StoreOpening.observeTaskChanges(store) { scheduler.tasksChanged() }
    let router = Router(context: TrestleRequestContext.self)
    HealthRoute.register(on: router)
    ReadinessRoute(store: store, parts: [ReadinessRoute.Part(name: "executor", alive: { scheduler.isRunning })]).register(on: router)
    var services: [any Service] = [
        StoreService(store: store, inbox: nil, logger: logger),
        scheduler,
        MirrorRefreshService(mirrors: mirrors, interval: config.mirrors.refreshInterval, logger: logger),
    ]
    if let gitlab = config.gitlab {
        services.append(projects)
        services.append(CommitStatusSender(gitlab: gitlab, projects: projects, store: store, links: links, logger: logger,
                                           claimSeconds: config.executor.leaseSeconds, now: { Int64(Date().timeIntervalSince1970) }))
    }
    return listeningApplication(router: router, config: config, services: services, serverName: "trestle-worker", links: links,
                                onListening: options.onListening, logger: logger,
                                announce: ("trestle worker running", ["runner": "\(scheduler.runner)"]))
}

/// Builds the worker and runs it until SIGTERM or SIGINT, then shuts down gracefully.
public func runWorker(config: TrestleConfig, options: ServeOptions, logger: Logger) async throws {
    let app = try await buildWorker(config: config, options: options, logger: logger)
    try await app.runService()
}
