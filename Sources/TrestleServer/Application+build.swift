import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import TrestleCore
import TrestleGit
import TrestleRunner
import TrestleStore

/// What `trestle serve` adds to the config file.
public struct ServeOptions: Sendable {
    public var listen: ListenAddress?
    public var dataDir: String?
    /// Called with the bound port once the server listens (port 0 picks one).
    public var onListening: @Sendable (Int) async -> Void
    public var now: @Sendable () -> Int64
    /// The config file's path, kept out of job sandboxes wherever it lies.
    public var configFile: String?

    public init(listen: ListenAddress? = nil, dataDir: String? = nil,
                onListening: @escaping @Sendable (Int) async -> Void = { _ in },
                now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }, configFile: String? = nil) {
        self.configFile = configFile
        self.listen = listen
        self.dataDir = dataDir
        self.onListening = onListening
        self.now = now
    }
}

/// The one place where Trestle is wired together: store, routes, middleware and services.
public func buildApplication(config fileConfig: TrestleConfig, options: ServeOptions = ServeOptions(),
                             logger: Logger) async throws -> some ApplicationProtocol {
    let config = fileConfig.overriding(listen: options.listen, dataDir: options.dataDir)
    let store = try await StoreOpening.open(config.storage, logger: logger)
    let links = LinkBase(server: config.server)
    let mirrors = MirrorSet(config: config)
    let flowResults = FlowResults(shared: StoreOpening.sharedFlowResults(store))
    let projects = GitLabProjects(config: config, logger: logger)
    // Only a process that runs jobs needs their sandbox; it refuses to start without a working one.
    let isolation = config.executor.concurrency > 0
        ? try await JobIsolationSetup.prepare(config: config, configFile: options.configFile, logger: logger)
        : JobIsolationSetup.unsandboxed()
    let scheduler = try Scheduler(config: config, store: store, mirrors: mirrors, logger: logger, now: options.now,
                              flowResults: flowResults, callbackBase: { links.url }, isolation: isolation,
                                  logStore: StoreOpening.sharedLogStore(store))
    StoreOpening.observeTaskChanges(store) { scheduler.tasksChanged() }
    let processor = WebhookProcessor(config: config, store: store, mirrors: mirrors, logger: logger, now: options.now,
                                     tasksCreated: { scheduler.wake() })
    let inbox = DeliveryInbox(store: store, committed: { processor.notify() })
    let router = buildRouter(config: config, store: store, mirrors: mirrors, inbox: inbox, links: links,
                             scheduler: scheduler, flowResults: flowResults, projects: projects,
                             sessions: DashboardSessions(secret: config.server.sessionSecret, externalURL: config.server.externalURL),
                             templates: try DashboardTemplates(), processorRunning: { processor.isRunning }, now: options.now)

    var services: [any Service] = [
        StoreService(store: store, inbox: inbox, logger: logger),
        processor,
        scheduler,
        MirrorRefreshService(mirrors: mirrors, interval: config.mirrors.refreshInterval, logger: logger),
    ]
    if config.gitlab != nil {
        services.append(projects)
    }
    // On SQLite, statuses and notes are sent by the process that runs tasks (the one holding the
    // executor lock), so an API-only process beside it never sends them a second time; on
    // PostgreSQL every process sends, each what it claimed.
    if let gitlab = config.gitlab, config.executor.concurrency > 0 || config.storage.postgres != nil {
        // Retry times follow the wall clock, not the task clock (which tests may stop).
        services.append(CommitStatusSender(gitlab: gitlab, projects: projects, store: store, links: links, logger: logger,
                                           claimSeconds: config.executor.leaseSeconds, now: { Int64(Date().timeIntervalSince1970) }))
    }
    return listeningApplication(router: router, config: config, services: services, serverName: "trestle", links: links,
                                onListening: options.onListening, logger: logger, announce: ("trestle listening", [:]))
}

/// The Hummingbird application both roles run: `router` on `server.listen`, `services` beside it;
/// once bound, the link base learns the port, `announce` is logged with the address, and
/// `onListening` is told the port.
func listeningApplication(router: Router<TrestleRequestContext>, config: TrestleConfig, services: [any Service], serverName: String,
                          links: LinkBase, onListening: @escaping @Sendable (Int) async -> Void, logger: Logger,
                          announce: (message: Logger.Message, metadata: Logger.Metadata)) -> some ApplicationProtocol {
    let address = config.server.listen
    return Application(
        router: router,
        server: .http1(configuration: .init(idleTimeout: .seconds(Int64(config.server.idleTimeout)))),
        configuration: .init(address: .hostname(address.host, port: address.port), serverName: serverName),
        services: services,
        onServerRunning: { channel in
            let port = channel.localAddress?.port ?? address.port
            links.bound(port: port)
            var metadata = announce.metadata
            metadata["address"] = "\(ListenAddress(host: address.host, port: port))"
            logger.info(announce.message, metadata: metadata)
            await onListening(port)
        },
        logger: logger
    )
}

/// Builds the application and runs it until SIGTERM or SIGINT, then shuts down gracefully.
public func runServer(config: TrestleConfig, options: ServeOptions, logger: Logger) async throws {
    let app = try await buildApplication(config: config, options: options, logger: logger)
    try await app.runService()
}

func buildRouter(config: TrestleConfig, store: any TaskStore, mirrors: MirrorSet, inbox: DeliveryInbox, links: LinkBase,
                 scheduler: Scheduler, flowResults: FlowResults, projects: GitLabProjects,
                 sessions: DashboardSessions, templates: DashboardTemplates,
                 processorRunning: @escaping @Sendable () -> Bool,
                 now: @escaping @Sendable () -> Int64) -> Router<TrestleRequestContext> {
    TrestleMetrics.bootstrap()
    let router = Router(context: TrestleRequestContext.self)
    // Requests by route template, method and status, and their durations (Hummingbird's).
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: ErrorMiddleware(server: config.server))
    router.add(middleware: BodyLimitMiddleware(server: config.server))
    router.add(middleware: AuthMiddleware(authenticator: TokenAuthenticator(tokens: config.auth.tokens),
                                          openPaths: [HealthRoute.path, ReadinessRoute.path, OpenAPIRoute.path, WebhookRoutes.gitlabPath,
                                                      FlowRoutes.callbackPath, FlowSampleRoutes.startPath,
                                                      FlowSampleRoutes.endPath],
                                          openPrefixes: [WebhookRoutes.gitlabPath + "/"],
                                          dashboard: { request in
                                              DashboardRoutes.isDashboardPath(request.uri.path)
                                                  || (WorkflowTaskRoutes.isTaskPage(request.uri.path) && DashboardAuth.wantsHTML(request))
                                          }))
    HealthRoute.register(on: router)
    var parts = [ReadinessRoute.Part(name: "inbox", alive: { inbox.isAccepting }),
                 ReadinessRoute.Part(name: "processor", alive: processorRunning)]
    if config.executor.concurrency > 0 { parts.append(ReadinessRoute.Part(name: "executor", alive: { scheduler.isRunning })) }
    ReadinessRoute(store: store, parts: parts).register(on: router)
    MetricsRoute.register(on: router, store: store, now: now)
    OpenAPIRoute.register(on: router)
    let commands = TaskCommands(store: store, mirrors: mirrors, scheduler: scheduler, now: now)
    let logSource = StoreOpening.jobLogSource(store, dataDir: config.dataDir)
    let dashboard = DashboardRoutes(config: config, store: store, mirrors: mirrors, links: links, commands: commands, logs: logSource,
                                    auth: DashboardAuth(config: config, sessions: sessions, now: now), templates: templates, now: now)
    dashboard.register(on: router)
    WorkflowTaskRoutes(store: store, mirrors: mirrors, config: config, links: links, commands: commands,
                       browserPage: { request, workflow, taskID in try await dashboard.taskPage(request, workflow: workflow, taskID: taskID) })
        .register(on: router)
    AslanRoutes(config: config, commands: commands).register(on: router)
    CodeArtsStatusRoutes(store: store, config: config, links: links, now: now).register(on: router)
    AOMExecutionRoutes(store: store, config: config, links: links).register(on: router)
    JobLogRoutes(store: store, source: logSource).register(on: router)
    WebhookRoutes(config: config, inbox: inbox, store: store, projects: projects, now: now).register(on: router)
    FlowRoutes(store: store, config: config, scheduler: scheduler, results: flowResults, now: now).register(on: router)
    FlowSampleRoutes(server: config.server).register(on: router)
    return router
}

/// Closes the webhook inbox, then the store, once the server has stopped taking requests.
struct StoreService: Service {
    let store: any TaskStore
    /// None in a worker, which takes no webhooks.
    let inbox: DeliveryInbox?
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        await inbox?.close()
        try await store.close()
        logger.info("store closed")
    }
}
