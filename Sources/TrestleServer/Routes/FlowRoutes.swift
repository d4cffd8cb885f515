import Foundation
import Hummingbird
import TrestleCore
import TrestleRunner
import TrestleStore

/// Seed 002's Rill Flow API over the core: a descriptor is a workflow kept in the store, an
/// execution a task of it whose DAG tasks are its jobs, run by the same scheduler.
struct FlowRoutes: Sendable {
    /// Where async function workers report a result; open, guarded by the task's own token.
    static let callbackPath = "/flow/callback.json"

    let store: any TaskStore
    let config: TrestleConfig
    let scheduler: Scheduler
    let results: FlowResults
    let now: @Sendable () -> Int64

    func register(on router: Router<TrestleRequestContext>) {
        router.post("flow/bg/manage/descriptor/add_descriptor.json", use: addDescriptor)
        router.post("flow/submit.json", use: submit)
        // Seed 002's submit example posts to /2/flow/submit.json.
        router.post("2/flow/submit.json", use: submit)
        router.post("flow/finish.json", use: finish)
        router.post(RouterPath(String(Self.callbackPath.dropFirst())), use: callback)
        router.get("flow/get.json", use: get)
    }

    @Sendable func addDescriptor(_ request: Request, context: TrestleRequestContext) async throws -> Response {
        let businessID = try Self.required("business_id", request, meaning: "the workflow's business id")
        let featureName = try Self.required("feature_name", request, meaning: "the workflow's service name")
        let alias = try Self.required("alias", request, meaning: "the workflow's alias, e.g. release")
        let body = try await RequestBodyReader.collect(request, server: config.server)
        let yaml = String(decoding: body, as: UTF8.self)
        guard !yaml.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw APIError.flow(.invalid("the body must be the YAML descriptor of the workflow"))
        }
        let descriptor: FlowDescriptor
        do {
            descriptor = try FlowDescriptorParser.parse(yaml: yaml, businessID: businessID, featureName: featureName)
        } catch {
            throw APIError.flow(error)
        }
        let stored = StoredFlowDescriptor(id: descriptor.id, businessID: businessID, featureName: featureName, alias: alias,
                                          yaml: yaml, descriptor: descriptor, updateTime: now())
        try await TaskCommands.storeCall(nil) { try await store.saveFlowDescriptor(stored) }
        context.logger.info("flow descriptor stored", metadata: ["descriptor": "\(descriptor.id)"])
        return JSONResponse.make(DescriptorAddedView(descriptor_id: descriptor.id))
    }

    @Sendable func submit(_ request: Request, context: TrestleRequestContext) async throws -> Response {
        let descriptorID = try Self.required("descriptor_id", request, meaning: "the id add_descriptor.json answered")
        let callback = Self.parameter("callback", request)
        if let callback, case .failure(let refusal) = OutboundPolicy(patterns: config.flows.allowedURLs, ownOrigin: nil).check(callback) {
            throw APIError.flow(.invalid("callback: \(refusal.description)"))
        }
        let body = try await RequestBodyReader.collect(request, server: config.server)
        let flowContext: JSONValue
        if body.allSatisfy({ [0x20, 0x0a, 0x0d, 0x09].contains($0) }) {
            flowContext = .emptyObject
        } else if let parsed = JSONText.parse(body), parsed.objectValue != nil {
            flowContext = parsed
        } else {
            throw APIError.flow(.invalid("the body must be the flow context as a JSON object, e.g. {\"left\": 512}"))
        }
        guard let stored = try await TaskCommands.storeCall(nil, { try await store.flowDescriptor(id: descriptorID) }) else {
            throw APIError.flow(.notFound("descriptor_id '\(descriptorID.prefix(80))' is not known; add it with add_descriptor.json"))
        }
        let descriptor = stored.descriptor
        let task = NewTask(workflow: descriptor.id, project: descriptor.workspace, env: stored.alias,
                           trigger: TaskCommands.trigger(request, context),
                           arguments: TaskArguments(targets: [], releaseImages: []), stages: descriptor.stages,
                           createTime: now())
        let execution = FlowExecution(descriptorID: descriptor.id, descriptor: descriptor, context: flowContext,
                                      callbackURL: callback)
        let record = try await TaskCommands.storeCall(nil) { try await store.createFlowExecution(task, execution: execution) }
        scheduler.wake()
        let executionID = FlowIDs.executionID(workflow: record.summary.workflow, taskID: record.summary.taskID)
        context.logger.info("flow submitted", metadata: ["execution": "\(executionID)"])
        return JSONResponse.make(SubmittedView(execution_id: executionID))
    }

    /// A worker reports a task's result; authenticated by an API token like every other route.
    @Sendable func finish(_ request: Request, context: TrestleRequestContext) async throws -> Response {
        try await report(request, token: nil)
    }

    /// The `X-Callback-Url` an async task's request carried: the task's token stands in for an API token.
    @Sendable func callback(_ request: Request, context: TrestleRequestContext) async throws -> Response {
        guard let token = Self.parameter("token", request) else {
            throw APIError.flow(.invalid("token is required: use the X-Callback-Url the task's request carried"))
        }
        return try await report(request, token: token)
    }

    private func report(_ request: Request, token: String?) async throws -> Response {
        let body = try await RequestBodyReader.collect(request, server: config.server)
        guard let fields = JSONText.parse(body)?.objectValue else {
            throw APIError.flow(.invalid("the body must be a JSON object: the executor's result (with result_type SUCCESS, FAIL or "
                + "FAILED; SUCCESS if absent), or {\"result_type\", \"passthrough\", \"response\"}"))
        }
        let report: FlowTaskReport
        switch FlowTaskReport.parse(fields) {
        case .success(let parsed): report = parsed
        case .failure(let refusal): throw APIError.flow(.invalid(refusal.message))
        }
        let passthrough = report.passthrough
        func named(_ query: [String], _ key: String) -> String? {
            query.lazy.compactMap { Self.parameter($0, request) }.first
                ?? { if case .string(let text)? = passthrough[key], !text.isEmpty { return text } else { return nil } }()
        }
        guard let executionID = named(["executionId", "execution_id"], "execution_id") else {
            throw APIError.flow(.invalid("executionId is required (query, or passthrough.execution_id)"))
        }
        guard let taskName = named(["taskName", "task_name"], "task_name") else {
            throw APIError.flow(.invalid("taskName is required (query, or passthrough.task_name)"))
        }
        let result = report.result
        if token != nil {
            // The callback URL's token is the only credential: say nothing about what exists.
            guard try await deliver(executionID, taskName, token: token, result) == .delivered else {
                throw APIError.flow(.notFound("no task waits for this callback (wrong token, or the task has ended)"))
            }
            return JSONResponse.make(FinishedView())
        }
        let (record, execution) = try await load(executionID)
        guard execution.descriptor.task(named: taskName) != nil,
              let job = record.currentStages.flatMap(\.jobs).first(where: { $0.name == taskName }) else {
            throw APIError.flow(.notFound("taskName '\(taskName.prefix(80))' is not a task of execution '\(executionID)'"))
        }
        guard try await deliver(executionID, taskName, token: nil, result) == .delivered else {
            let status = FlowStatusWords.task(job, in: record.currentStages.flatMap(\.jobs), rules: execution.descriptor.rules,
                                              flow: record.summary.status)
            throw APIError.flow(.invalid("task '\(taskName)' of execution '\(executionID)' is \(status), not waiting for a result"))
        }
        return JSONResponse.make(FinishedView())
    }

    private func deliver(_ executionID: String, _ taskName: String, token: String?, _ result: FlowTaskResult) async throws -> FlowResults.Delivery {
        try await TaskCommands.storeCall(nil) {
            try await results.deliver(execution: executionID, task: taskName, token: token, result: result)
        }
    }

    @Sendable func get(_ request: Request, context: TrestleRequestContext) async throws -> Response {
        let executionID = try Self.required("execution_id", request, meaning: "the id submit.json answered")
        let brief: Bool
        switch Self.parameter("brief", request) {
        case nil, "false": brief = false
        case "true": brief = true
        case let other?: throw APIError.flow(.invalid("brief '\(other.prefix(20))' is not true or false"))
        }
        let (record, execution) = try await load(executionID)
        return JSONResponse.make(FlowExecutionView(record, execution: execution, brief: brief))
    }

    private func load(_ executionID: String) async throws -> (TaskRecord, FlowExecution) {
        let unknown = APIError.flow(.notFound("execution_id '\(executionID.prefix(120))' is not known"))
        guard let (workflow, taskID) = FlowIDs.task(ofExecution: executionID) else { throw unknown }
        guard let record = try await TaskCommands.storeCall(nil, { try await store.task(workflow: workflow, taskID: taskID) }),
              let execution = try await TaskCommands.storeCall(nil, { try await store.flowExecution(workflow: workflow, taskID: taskID) }) else {
            throw unknown
        }
        return (record, execution)
    }

    /// A query parameter, trimmed (seed 002's example sends `business_id=demoFlowTest ` with a space); nil when empty.
    static func parameter(_ name: String, _ request: Request) -> String? {
        guard let value = request.uri.queryParameters[Substring(name)] else {
            return nil
        }
        let text = String(value).trimmingCharacters(in: .whitespaces)
        return text.isEmpty ? nil : text
    }

    static func required(_ name: String, _ request: Request, meaning: String) throws -> String {
        guard let value = parameter(name, request) else {
            throw APIError.flow(.invalid("\(name) is required: \(meaning)"))
        }
        return value
    }
}
