import Foundation
import Logging
import Synchronization
import TrestleCore

/// The jobs of a flow execution (seed 002): each DAG task's input is mapped from the flow context
/// as it starts; `function` tasks call their resource (`FunctionCall`), `task_async` ones then wait
/// for their result; `pass` tasks succeed at once with their input as output. A task's output goes
/// back into the context through its outputMappings. Failures are retried as `retry` says; a
/// `tolerance` task's failure lets the flow go on (`JobRules.allowedToFail`).
final class FunctionJobExecutor: JobExecutor {
    /// Seconds one call, or one wait for an async result, may take unless the task says otherwise.
    static let defaultCallTimeout = 60
    /// Seconds a whole execution may run.
    static let executionTimeout = 24 * 3_600

    private let task: TaskRecord
    private let context: TaskRun.Context
    private let descriptor: FlowDescriptor
    private let callbackURL: String?
    /// The flow context as the tasks ended so far left it, and its version (one write per task end).
    private let flowContext: Mutex<(value: JSONValue, version: Int64)>

    init(task: TaskRecord, context: TaskRun.Context, execution: FlowExecution) {
        self.task = task
        self.context = context
        descriptor = execution.descriptor
        callbackURL = execution.callbackURL
        flowContext = Mutex((execution.context, execution.contextVersion))
    }

    var timeout: Int { Self.executionTimeout }
    var rules: JobRules {
        var rules = descriptor.rules
        rules.maxParallel = context.config.flows.maxParallel
        return rules
    }

    /// `flows.allowed_urls`, and the server's own sample functions.
    private var policy: OutboundPolicy {
        OutboundPolicy(patterns: context.config.flows.allowedURLs, ownOrigin: context.callbackBase())
    }

    private var workflow: String { task.summary.workflow }
    private var taskID: Int64 { task.summary.taskID }
    private var executionID: String { FlowIDs.executionID(workflow: workflow, taskID: taskID) }

    func run(stage: Int, job index: Int, stages: [StageRecord], taskDeadline: ContinuousClock.Instant) async -> JobOutcome {
        let name = stages[stage].jobs[index].name
        guard let spec = descriptor.task(named: name) else {
            return JobOutcome(status: .failed, error: "task '\(name)' is not in the execution's descriptor")
        }
        let input: JSONValue
        do {
            input = try FlowMappings.input(for: spec, context: flowContext.withLock { $0.value })
        } catch {
            return JobOutcome(status: .failed, error: "inputMappings: \(error.description)")
        }
        let tries = 1 + (spec.category == .function ? spec.retry?.maxRetryTimes ?? 0 : 0)
        var failure = ""
        for attempt in 1...tries {
            if attempt > 1, let retry = spec.retry {
                try? await Task.sleep(for: .milliseconds(Int(retry.delay(beforeRetry: attempt - 1) * 1_000)))
            }
            if Task.isCancelled { return JobOutcome(status: .cancelled, error: "cancelled while running") }
            await store("the input of \(name)") {
                try await self.context.store.recordFlowTaskInput(workflow: self.workflow, taskID: self.taskID, task: name,
                                                                 input: input, tries: attempt)
            }
            let result = spec.category == .pass ? .success(input) : await call(spec, input: input, deadline: taskDeadline)
            switch result {
            case .success(let output):
                return await succeeded(spec, input: input, output: output)
            case .failure(let reason):
                failure = reason
            }
        }
        if Task.isCancelled { return JobOutcome(status: .cancelled, error: "cancelled while running") }
        return JobOutcome(status: .failed, error: tries > 1 ? "\(failure) (after \(tries) tries)" : failure)
    }

    private func succeeded(_ spec: FlowTaskSpec, input: JSONValue, output: JSONValue) async -> JobOutcome {
        let written: Result<(JSONValue, Int64), JSONPathError> = flowContext.withLock { current in
            do throws(JSONPathError) {
                let next = try FlowMappings.context(after: spec, context: current.value, input: input, output: output)
                current = (next, current.version + 1)
                return .success(current)
            } catch {
                return .failure(error)
            }
        }
        switch written {
        case .success(let (context, version)):
            await store("the output of \(spec.name)") {
                try await self.context.store.recordFlowTaskOutput(workflow: self.workflow, taskID: self.taskID, task: spec.name,
                                                                  output: output, context: context, contextVersion: version)
            }
            return JobOutcome(status: .passed)
        case .failure(let error):
            return JobOutcome(status: .failed, error: "outputMappings: \(error.description)")
        }
    }

    private func call(_ spec: FlowTaskSpec, input: JSONValue, deadline: ContinuousClock.Instant) async -> FlowTaskResult {
        let seconds = spec.timeout ?? Self.defaultCallTimeout
        let timeout = min(Duration.seconds(seconds), deadline - ContinuousClock.now)
        let url = spec.resourceName ?? ""
        guard spec.pattern == .async else {
            switch await FunctionCall(url: url, input: input, task: caller(spec), timeout: timeout, policy: policy).send() {
            case .success(let output): return .success(output)
            case .failure(let error): return .failure(error.description)
            }
        }
        let results = context.flowResults
        let (token, stream): (String, AsyncStream<FlowTaskResult>)
        do {
            (token, stream) = try await results.register(execution: executionID, task: spec.name)
        } catch {
            return .failure("cannot record that the task waits for its result: \(error)")
        }
        let name = spec.name
        let result = await wait(for: stream, token: token, spec: spec, url: url, input: input, timeout: timeout, seconds: seconds)
        // Not in the cancelled task: the shared store's wait row must go either way.
        await Task { await results.unregister(execution: self.executionID, task: name) }.value
        return result
    }

    private func wait(for stream: AsyncStream<FlowTaskResult>, token: String, spec: FlowTaskSpec, url: String, input: JSONValue,
                      timeout: Duration, seconds: Int) async -> FlowTaskResult {
        if case .failure(let error) = await FunctionCall(url: url, input: input, callbackURL: callbackURL(spec.name, token: token),
                                                         task: caller(spec), timeout: timeout, policy: policy).send() {
            return .failure(error.description)
        }
        return await withTaskGroup(of: FlowTaskResult?.self) { group in
            group.addTask {
                var iterator = stream.makeAsyncIterator()
                return await iterator.next()
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? .failure(Task.isCancelled ? "cancelled while waiting for the result"
                                                      : "no result arrived for the async task within \(seconds) s")
        }
    }

    private func caller(_ spec: FlowTaskSpec) -> FunctionCall.TaskCaller {
        FunctionCall.TaskCaller(name: spec.name, flowServer: context.callbackBase())
    }

    /// Where a worker reports an async task's result: open (no API token), guarded by the task's
    /// token; the execution, task and time (ms) as Rill Flow's own callback URLs carry them.
    private func callbackURL(_ task: String, token: String) -> String {
        var components = URLComponents(string: context.callbackBase() + "/flow/callback.json")
        components?.queryItems = [URLQueryItem(name: "execution_id", value: executionID),
                                  URLQueryItem(name: "task_name", value: task), URLQueryItem(name: "token", value: token),
                                  URLQueryItem(name: "ts", value: String(Int64(Date().timeIntervalSince1970 * 1_000)))]
        return components?.url?.absoluteString ?? ""
    }

    /// The final result, to the `callback` URL given at submit: `{"execution_id","dag_status","process","context"}`.
    func ended(_ status: TaskStatus, stages: [StageRecord]) async {
        guard let callbackURL else { return }
        let result = JSONValue.object([
            "execution_id": .string(executionID),
            "dag_status": .string(FlowStatusWords.dag(status)),
            "process": .number(Double(FlowStatusWords.process(stages.flatMap(\.jobs)))),
            "context": flowContext.withLock { $0.value },
        ])
        var state = ""
        for pause in [0, 1, 3] {
            if pause > 0 { try? await Task.sleep(for: .seconds(pause)) }
            if case .failure(let error) = await FunctionCall(url: callbackURL, input: result, timeout: .seconds(10), policy: policy).send() {
                state = "failed: \(error.description)"
                context.logger.warning("the flow's callback failed", metadata: ["execution": "\(executionID)", "reason": "\(error)"])
            } else {
                state = "sent"
                break
            }
        }
        let final = state
        await store("the callback state") {
            try await self.context.store.recordFlowCallback(workflow: self.workflow, taskID: self.taskID, state: final)
        }
    }

    private func store(_ what: String, _ body: @escaping @Sendable () async throws -> Void) async {
        do {
            try await body()
        } catch {
            context.logger.error("cannot record \(what)", metadata: ["execution": "\(executionID)", "reason": "\(error)"])
        }
    }
}
