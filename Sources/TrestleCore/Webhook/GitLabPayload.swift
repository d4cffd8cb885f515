import Foundation

/// The few fields the receiver reads before committing a delivery: which project it is for.
/// Everything else is decoded after the 2xx, by the delivery processor.
public struct GitLabRouting: Sendable, Decodable, Equatable {
    public struct Project: Sendable, Decodable, Equatable {
        public var id: Int?
        public var pathWithNamespace: String?

        enum CodingKeys: String, CodingKey {
            case id
            case pathWithNamespace = "path_with_namespace"
        }
    }

    public struct Attributes: Sendable, Decodable, Equatable {
        public struct LastCommit: Sendable, Decodable, Equatable {
            public var id: String?
        }

        public var iid: Int?
        public var lastCommit: LastCommit?

        enum CodingKeys: String, CodingKey {
            case iid
            case lastCommit = "last_commit"
        }
    }

    public var objectKind: String?
    public var project: Project?
    public var ref: String?
    public var after: String?
    public var objectAttributes: Attributes?

    enum CodingKeys: String, CodingKey {
        case objectKind = "object_kind"
        case project, ref, after
        case objectAttributes = "object_attributes"
    }

    /// The fields `event` needs that the body lacks, by their JSON path.
    public func missingFields(for event: WebhookEvent) -> [String] {
        var missing: [String] = []
        if project?.pathWithNamespace == nil && project?.id == nil { missing.append("project.path_with_namespace") }
        switch event {
        case .push, .tagPush:
            if (ref ?? "").isEmpty { missing.append("ref") }
            if (after ?? "").isEmpty { missing.append("after") }
        case .mergeRequest:
            if objectAttributes?.iid == nil { missing.append("object_attributes.iid") }
            if objectAttributes?.lastCommit?.id == nil { missing.append("object_attributes.last_commit.id") }
        case .note:
            if objectAttributes == nil { missing.append("object_attributes") }
        }
        return missing
    }
}

/// Why a delivery's body cannot be acted on: answered 400 by the receiver, recorded by the processor.
public struct WebhookPayloadError: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String

    public init(_ reason: String) {
        self.reason = reason
    }

    public var description: String { reason }
}

/// GitLab's Push, Tag Push, Merge Request and Note hook bodies, as far as Trestle reads them.
struct GitLabPayload: Decodable {
    struct Commit: Decodable {
        var id: String?
        var message: String?
        var added: [String]?
        var modified: [String]?
        var removed: [String]?
    }

    struct LastCommit: Decodable {
        var id: String?
        var message: String?
    }

    struct Label: Decodable {
        var title: String?
    }

    struct MergeRequest: Decodable {
        var iid: Int?
        var action: String?
        var sourceBranch: String?
        var targetBranch: String?
        var lastCommit: LastCommit?
        var oldrev: String?
        var draft: Bool?
        var workInProgress: Bool?
        var note: String?
        var noteableType: String?
        var sourceProjectID: Int?
        var targetProjectID: Int?

        enum CodingKeys: String, CodingKey {
            case iid, action, oldrev, draft, note
            case sourceProjectID = "source_project_id"
            case targetProjectID = "target_project_id"
            case sourceBranch = "source_branch"
            case targetBranch = "target_branch"
            case lastCommit = "last_commit"
            case workInProgress = "work_in_progress"
            case noteableType = "noteable_type"
        }
    }

    struct Project: Decodable {
        var id: Int?
        var defaultBranch: String?

        enum CodingKeys: String, CodingKey {
            case id
            case defaultBranch = "default_branch"
        }
    }

    var objectKind: String?
    var project: Project?
    var before: String?
    var after: String?
    var ref: String?
    var checkoutSHA: String?
    var commits: [Commit]?
    var totalCommitsCount: Int?
    var objectAttributes: MergeRequest?
    var mergeRequest: MergeRequest?
    var labels: [Label]?

    enum CodingKeys: String, CodingKey {
        case before, after, ref, commits, labels, project
        case objectKind = "object_kind"
        case checkoutSHA = "checkout_sha"
        case totalCommitsCount = "total_commits_count"
        case objectAttributes = "object_attributes"
        case mergeRequest = "merge_request"
    }
}

public enum GitLabEvents {
    /// The event a delivery carries, from `X-Gitlab-Event` (or `object_kind` when the header is absent).
    public static func event(header: String?, objectKind: String?) -> WebhookEvent? {
        switch header ?? "" {
        case "Push Hook", "System Hook" where objectKind == "push": return .push
        case "Tag Push Hook": return .tagPush
        case "Merge Request Hook": return .mergeRequest
        case "Note Hook": return .note
        case "":
            switch objectKind {
            case "push": return .push
            case "tag_push": return .tagPush
            case "merge_request": return .mergeRequest
            case "note": return .note
            default: return nil
            }
        default: return nil
        }
    }

    /// The facts of a delivery for `repo`, or why the body cannot be acted on.
    public static func facts(event: WebhookEvent, repo: String, body: Data) throws(WebhookPayloadError) -> WebhookFacts {
        let payload: GitLabPayload
        do {
            payload = try JSONDecoder().decode(GitLabPayload.self, from: body)
        } catch {
            throw WebhookPayloadError("the body is not a GitLab \(event.rawValue) payload: \(describe(error))")
        }
        var facts = try facts(payload, event: event, repo: repo)
        facts.defaultBranch = payload.project?.defaultBranch
        facts.projectID = payload.project?.id
        facts.listedPaths = listedPaths(payload)
        return facts
    }

    private static func facts(_ payload: GitLabPayload, event: WebhookEvent, repo: String) throws(WebhookPayloadError) -> WebhookFacts {
        switch event {
        case .push, .tagPush:
            return try pushFacts(payload, event: event, repo: repo)
        case .mergeRequest:
            guard let attributes = payload.objectAttributes else { throw WebhookPayloadError("object_attributes is missing") }
            var facts = try mergeRequestFacts(attributes, labels: payload.labels, repo: repo, event: .mergeRequest)
            facts.mergeRequest?.codeChanged = !(attributes.oldrev ?? "").isEmpty
            return facts
        case .note:
            guard let attributes = payload.objectAttributes else { throw WebhookPayloadError("object_attributes is missing") }
            guard attributes.noteableType == "MergeRequest", let mergeRequest = payload.mergeRequest else {
                throw WebhookPayloadError("the comment is not on a merge request")
            }
            var facts = try mergeRequestFacts(mergeRequest, labels: payload.labels, repo: repo, event: .note)
            facts.note = attributes.note ?? ""
            return facts
        }
    }

    /// Paths changed by a push, when its payload lists every commit (GitLab lists at most 20).
    static func listedPaths(_ payload: GitLabPayload) -> [String]? {
        guard let commits = payload.commits, !commits.isEmpty,
              let total = payload.totalCommitsCount, total == commits.count else { return nil }
        var seen = Set<String>()
        return commits.flatMap { ($0.added ?? []) + ($0.modified ?? []) + ($0.removed ?? []) }
            .filter { seen.insert($0).inserted }
    }

    private static func pushFacts(_ payload: GitLabPayload, event: WebhookEvent, repo: String) throws(WebhookPayloadError) -> WebhookFacts {
        guard let ref = payload.ref, !ref.isEmpty else { throw WebhookPayloadError("ref is missing") }
        let prefix = event == .tagPush ? "refs/tags/" : "refs/heads/"
        guard ref.hasPrefix(prefix) else {
            throw WebhookPayloadError("ref '\(ref.prefix(200))' is not under \(prefix)")
        }
        let before = try commit(payload.before, field: "before")
        var after = try commit(payload.after, field: "after")
        // An annotated tag's `after` is the tag object; checkout_sha is the commit it names.
        if event == .tagPush, after != nil, let checkout = payload.checkoutSHA, let peeled = CommitID(checkout) {
            after = peeled
        }
        let message = payload.commits?.last(where: { $0.id.flatMap(CommitID.init) == after })?.message
            ?? payload.commits?.last?.message ?? ""
        return WebhookFacts(event: event, repo: repo, ref: String(ref.dropFirst(prefix.count)), headCommit: after,
                            beforeCommit: before, headMessage: message)
    }

    private static func mergeRequestFacts(_ attributes: GitLabPayload.MergeRequest, labels: [GitLabPayload.Label]?,
                                          repo: String, event: WebhookEvent) throws(WebhookPayloadError) -> WebhookFacts {
        guard let iid = attributes.iid, iid > 0 else { throw WebhookPayloadError("the merge request iid is missing") }
        guard let source = attributes.sourceBranch, !source.isEmpty else { throw WebhookPayloadError("source_branch is missing") }
        let head = try commit(attributes.lastCommit?.id, field: "last_commit.id")
        guard head != nil else { throw WebhookPayloadError("last_commit.id is missing") }
        var mergeRequest = MergeRequestFacts(
            iid: iid, action: attributes.action ?? (event == .note ? "note" : "open"), sourceBranch: source,
            targetBranch: attributes.targetBranch ?? "", draft: attributes.draft ?? attributes.workInProgress ?? false,
            labels: (labels ?? []).compactMap(\.title))
        if let source = attributes.sourceProjectID, let target = attributes.targetProjectID {
            mergeRequest.fromFork = source != target
        }
        return WebhookFacts(event: event, repo: repo, ref: source, headCommit: head,
                            headMessage: attributes.lastCommit?.message ?? "", mergeRequest: mergeRequest)
    }

    /// A full commit id; nil for GitLab's all-zeros "no commit".
    private static func commit(_ text: String?, field: String) throws(WebhookPayloadError) -> CommitID? {
        guard let text, !text.isEmpty else { throw WebhookPayloadError("\(field) is missing") }
        guard let id = CommitID(text) else { throw WebhookPayloadError("\(field) '\(text.prefix(60))' is not a 40-character commit id") }
        return id.hex.allSatisfy { $0 == "0" } ? nil : id
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
             DecodingError.keyNotFound(_, let context), DecodingError.dataCorrupted(let context):
            let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return path.isEmpty ? "not valid JSON" : "\(path.hasPrefix(".") ? String(path.dropFirst()) : path): \(context.debugDescription)"
        default:
            return "not valid JSON"
        }
    }
}
