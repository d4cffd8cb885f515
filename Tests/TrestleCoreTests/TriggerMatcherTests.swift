import Foundation
import Testing
import TrestleCore

@Suite("Trigger rules, matched without I/O")
struct TriggerMatcherTests {
    @Test("a push to a matching branch touching a matching path matches, and says why")
    func pushMatches() throws {
        var facts = try WebhookSample.facts("push-main", .push)
        facts.changedPaths = ["vote/app.py", "README.md"]
        let decision = WebhookSample.decide(facts, try WebhookSample.trigger([.push]) {
            $0.branches = [try RefPattern("main")]
            $0.paths = [try RefPattern("vote/**")]
        })
        #expect(decision.verdict == .matched)
        #expect(decision.reason.contains("push to branch 'main' at 1a2b3c4d"))
    }

    @Test("path filters wait for the changed paths, then skip when none pass, naming what changed")
    func pathFilters() throws {
        var facts = try WebhookSample.facts("push-docs-only", .push)
        let trigger = try WebhookSample.trigger([.push]) {
            $0.paths = [try RefPattern("vote/**")]
            $0.pathsIgnore = [try RefPattern("**/*.md")]
        }
        #expect(WebhookSample.decide(facts, trigger).verdict == .needsPaths)
        facts.changedPaths = ["docs/voting.md", "README.md"]
        let decision = WebhookSample.decide(facts, trigger)
        #expect(decision.verdict == .skipped)
        #expect(decision.reason.contains("no changed path matches the rule's paths (vote/**)"))
        #expect(decision.reason.contains("docs/voting.md"))
        facts.changedPaths = ["vote/README.md"]
        #expect(WebhookSample.decide(facts, trigger).verdict == .skipped, "ignored paths never count")
        facts.changedPaths = ["vote/README.md", "vote/app.py"]
        #expect(WebhookSample.decide(facts, trigger).verdict == .matched)
    }

    @Test("every refusal is a skip with its reason", arguments: [
        ("push-main", WebhookEvent.push, "other-repo", "the delivery is for repo 'voting-app', the rule for repo 'other-repo'"),
        ("push-main", .push, "events:tag_push", "event push is not one of the rule's events (tag_push)"),
        ("push-main", .push, "branches:release/*", "branch 'main' matches none of the rule's branches (release/*)"),
        ("push-branch-deleted", .push, "", "branch 'feature/old-ui' was deleted: nothing to build"),
        ("push-skip-ci", .push, "", "the head commit message contains '[skip ci]'"),
        ("tag-push", .tagPush, "tags:release-*", "tag 'v1.2.0' matches none of the rule's tags (release-*)"),
        ("merge-request-update-metadata", .mergeRequest, "", "merge request !12 was updated without new commits (no oldrev)"),
        ("merge-request-draft", .mergeRequest, "", "merge request !12 is a draft; set drafts: true on the rule to build drafts"),
        ("merge-request-open", .mergeRequest, "labels:frontend", "merge request !12 carries none of the rule's labels (frontend)"),
        ("merge-request-open", .mergeRequest, "target_branches:release/*", "target branch 'main' matches none of the rule's target_branches (release/*)"),
        ("merge-request-open", .mergeRequest, "actions:merge", "merge request action 'open' is not one of the rule's merge_request_actions (merge)"),
        ("note-retry", .note, "phrase:/rebuild", "the comment does not contain the re-run phrase '/rebuild'"),
    ])
    func refusals(sample: String, event: WebhookEvent, change: String, reason: String) throws {
        let facts = try WebhookSample.facts(sample, event)
        let trigger = try WebhookSample.trigger(change.hasPrefix("events:") ? [.tagPush] : [event],
                                                repo: change == "other-repo" ? "other-repo" : "voting-app") { trigger in
            let value = String(change.split(separator: ":", maxSplits: 1).last ?? "")
            switch change.split(separator: ":").first {
            case "branches": trigger.branches = [try RefPattern(value)]
            case "tags": trigger.tags = [try RefPattern(value)]
            case "labels": trigger.labels = [value]
            case "target_branches": trigger.targetBranches = [try RefPattern(value)]
            case "actions": trigger.mergeRequestActions = [value]
            case "phrase": trigger.retryPhrase = value
            default: break
            }
        }
        let decision = WebhookSample.decide(facts, trigger)
        #expect(decision.verdict == .skipped)
        #expect(decision.reason == reason)
    }

    @Test("merge requests: open and code updates build; drafts build when allowed; labels and target branches match")
    func mergeRequests() throws {
        let open = try WebhookSample.facts("merge-request-open", .mergeRequest)
        #expect(open.headCommit?.hex == "5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f")
        #expect(open.mergeRequest?.iid == 12)
        #expect(open.ref == "feature/tally")
        let rule = try WebhookSample.trigger([.mergeRequest]) {
            $0.targetBranches = [try RefPattern("main")]
            $0.labels = ["backend"]
        }
        #expect(WebhookSample.decide(open, rule).verdict == .matched)
        let update = try WebhookSample.facts("merge-request-update-code", .mergeRequest)
        #expect(update.mergeRequest?.codeChanged == true)
        #expect(WebhookSample.decide(update, try WebhookSample.trigger([.mergeRequest])).verdict == .matched)
        let draft = try WebhookSample.facts("merge-request-draft", .mergeRequest)
        #expect(WebhookSample.decide(draft, try WebhookSample.trigger([.mergeRequest]) { $0.drafts = true }).verdict == .matched)
    }

    @Test("a tag push builds the commit the tag names; a re-run comment matches the default phrase")
    func tagsAndNotes() throws {
        let tag = try WebhookSample.facts("tag-push", .tagPush)
        #expect(tag.ref == "v1.2.0")
        #expect(tag.headCommit?.hex == "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b")
        #expect(WebhookSample.decide(tag, try WebhookSample.trigger([.tagPush]) { $0.tags = [try RefPattern("v*")] }).verdict == .matched)
        let note = try WebhookSample.facts("note-retry", .note)
        #expect(note.mergeRequest?.iid == 12)
        #expect(WebhookSample.decide(note, try WebhookSample.trigger([.note])).verdict == .matched)
    }

    @Test("a matched push plans one task with the repo's branch, pr 0 and head commit, for targets that build the repo")
    func planning() throws {
        let facts = try WebhookSample.facts("push-main", .push)
        let config = WebhookSample.config([try WebhookSample.trigger([.push])])
        let workflow = try #require(config.workflows.first)
        let task = try #require(WebhookTaskPlanner.newTask(facts, workflow: workflow, trigger: workflow.triggers[0],
                                                           deliveryID: 7, time: 100))
        #expect(task.env == "dev")
        #expect(task.trigger == TaskTrigger(kind: .webhook, by: "push delivery 7"))
        let repo = try #require(task.arguments.targets.first?.build.repos.first)
        #expect(repo == RepoArguments(repoName: "voting-app", branch: "main", pr: 0,
                                      commitID: CommitID("1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b")))
        let mergeRequest = try WebhookSample.facts("merge-request-open", .mergeRequest)
        #expect(WebhookTaskPlanner.coalescingKey(mergeRequest) == "voting-app|merge_request|mr:12|5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f")
    }

    @Test("bad payloads are refused with the field named, never crash", arguments: [
        (#"{"object_kind":"push"}"#, "ref is missing"),
        (#"{"object_kind":"push","ref":"refs/heads/main","before":"x","after":"y"}"#, "before 'x' is not a 40-character commit id"),
        (#"{"object_kind":"push","ref":"refs/tags/v1","before":"0000000000000000000000000000000000000000","after":"1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b"}"#, "is not under refs/heads/"),
        (#"{"ref": 12}"#, "ref"),
        ("[1,2,3]", "not a GitLab push payload"),
        ("", "not a GitLab push payload"),
    ])
    func badPayloads(body: String, reason: String) {
        #expect(throws: WebhookPayloadError.self) { try GitLabEvents.facts(event: .push, repo: "r", body: Data(body.utf8)) }
        do {
            _ = try GitLabEvents.facts(event: .push, repo: "r", body: Data(body.utf8))
        } catch {
            #expect(error.reason.contains(reason), "\(error.reason)")
        }
    }
}
