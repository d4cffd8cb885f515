/// The task a matched trigger rule creates: a pure function of the delivery and the rule.
public enum WebhookTaskPlanner {
    /// The new task of `workflow` for the delivery: each of the rule's targets that builds the
    /// delivery's repo gets `build.repos` `{repo_name, branch, pr, commit_id}` for it.
    public static func newTask(_ facts: WebhookFacts, workflow: WorkflowConfig, trigger: TriggerConfig,
                               deliveryID: Int64, time: Int64) -> NewTask? {
        guard let commit = facts.headCommit else { return nil }
        let repo = RepoArguments(repoName: facts.repo, branch: facts.ref, pr: facts.mergeRequest?.iid ?? 0,
                                 commitID: commit)
        let targets = trigger.targets.compactMap { name -> TargetArguments? in
            guard let target = workflow.target(named: name), target.repos.contains(facts.repo) else { return nil }
            return TargetArguments(name: name, serviceType: target.serviceType, build: BuildArguments(repos: [repo]))
        }
        guard !targets.isEmpty else { return nil }
        let arguments = TaskArguments(targets: targets, releaseImages: [])
        return NewTask(workflow: workflow.name, project: workflow.project,
                       env: trigger.env ?? workflow.env ?? workflow.envs.first ?? "default",
                       trigger: TaskTrigger(kind: .webhook, by: "\(facts.event.rawValue) delivery \(deliveryID)"),
                       arguments: arguments, stages: TaskPlanner.stages(for: arguments, adding: workflow.stages), createTime: time,
                       origin: .webhook(facts))
    }

    /// What makes two deliveries the same build for users: the same repo, event kind, branch or
    /// merge request and head commit. One task per workflow is created per key.
    public static func coalescingKey(_ facts: WebhookFacts) -> String {
        "\(facts.repo)|\(facts.event.rawValue)|\(facts.buildSubject)|\(facts.headCommit?.hex ?? "-")"
    }
}
