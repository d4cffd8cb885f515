#!/usr/bin/env python3
"""make test's cluster chaos test: real processes on loopback around one PostgreSQL.

Two API nodes (`trestle serve`, executor.concurrency 0) and three workers (`trestle worker`)
share the database scripts/with-postgres.sh started (DATABASE_URL). 300 tasks are created, half
through both nodes' APIs and half by GitLab push hooks sent to both nodes (some deliveries to both
nodes at once with the same Idempotency-Key, as a retrying GitLab does); every job appends
`<workflow>/<task>:<attempt>:<job>:<worker>` to a shared file. While they run, one worker is
SIGKILLed mid-job and one API node mid-ingest, and both are started again.

Then it checks, and prints the counts: every acknowledged delivery processed exactly once (one
outcome, one task); every task ended, passed, or failed "runner lost" (hook tasks, requeued,
passed on a later attempt); no job line twice for one attempt; nothing running once leases
lapsed; a cancel through node A stopping a job on whichever worker ran it within 2 s; a log
followed through node B showing a job of another process, live.

Usage: scripts/with-postgres.sh python3 scripts/chaos.py [BIN]   (default .build/debug/trestle)
"""
import collections
import os
import shutil
import subprocess
import tempfile
import threading
import time

from cluster_lib import DATABASE_URL, HOOK_TOKEN, Node, call, psql, wait_until

API_TASKS = 150
HOOK_TASKS = 150
LEASE_SECONDS = 3
failures = []


def fail(message):
    failures.append(message)
    print("FAIL: " + message, flush=True)


def config(root, remote, lines, concurrency, worker):
    job = f'sleep 0.2; echo "$WORKFLOW_NAME/$TRESTLE_TASK_ID:$TRESTLE_ATTEMPT:$TRESTLE_JOB:{worker}" >> "{lines}"'
    probe = os.path.join(root, "probe")
    text = f"""
server: {{ listen: "127.0.0.1:0" }}
storage: {{ postgres: {{ url: "${{DATABASE_URL}}", pool_size: 8 }} }}
executor: {{ concurrency: {concurrency}, kill_grace: 1, lease_seconds: {LEASE_SECONDS}, isolation: none }}
auth:
  tokens:
    - {{ name: chaos, token: "${{CHAOS_TOKEN}}", scopes: [read, trigger, admin] }}
repos:
  - {{ name: app, url: "file://{remote}", gitlab_project: demo/app, webhook_token: "${{CHAOS_HOOK_TOKEN}}" }}
workflows:
  - name: plain
    project: demo
    env: dev
    targets:
      - {{ name: svc, repos: [app], build: '{job}', deploy: '{job}' }}
  - name: hooked
    project: demo
    env: dev
    requeue_interrupted: true
    targets:
      - {{ name: svc, repos: [app], build: '{job}', deploy: '{job}' }}
    triggers:
      - {{ events: [push], repo: app, branches: [main] }}
  - name: probe
    project: demo
    env: dev
    targets:
      - {{ name: hang, repos: [app], build: 'echo {worker} > "{probe}/hang.worker"; echo $$$$ > "{probe}/hang.pid.tmp"; mv "{probe}/hang.pid.tmp" "{probe}/hang.pid"; exec sleep 300' }}
      - {{ name: chatty, repos: [app], build: 'echo "one from {worker}"; while [ ! -f "{probe}/go" ]; do sleep 0.05; done; echo two' }}
"""
    path = os.path.join(root, f"{worker}.yaml")
    with open(path, "w") as file:
        file.write(text)
    os.makedirs(probe, exist_ok=True)
    return path


def make_remote(root, commits):
    remote = os.path.join(root, "remote")
    env = dict(os.environ, GIT_AUTHOR_NAME="chaos", GIT_AUTHOR_EMAIL="chaos@trestle.invalid",
               GIT_COMMITTER_NAME="chaos", GIT_COMMITTER_EMAIL="chaos@trestle.invalid")
    subprocess.run(["git", "init", "-q", "-b", "main", remote], check=True)
    # One fast-import stream: 150 commits in one process.
    stream = []
    for number in range(commits):
        message = f"commit {number}"
        stream.append(f"commit refs/heads/main\nmark :{number + 1}\ncommitter chaos <chaos@trestle.invalid> {1_700_000_000 + number} +0000\n"
                      f"data {len(message)}\n{message}\n")
        stream.append(f"M 644 inline file.txt\ndata {len(str(number))}\n{number}\n")
    subprocess.run(["git", "-C", remote, "fast-import", "--quiet"], input="".join(stream), text=True, check=True, env=env)
    shas = subprocess.run(["git", "-C", remote, "rev-list", "--reverse", "main"], check=True, capture_output=True, text=True).stdout.split()
    return remote, shas


def push_hook(sha, number):
    return {
        "object_kind": "push", "event_name": "push", "before": "0" * 40, "after": sha, "ref": "refs/heads/main",
        "checkout_sha": sha, "user_username": "chaos", "project_id": 7,
        "project": {"id": 7, "path_with_namespace": "demo/app", "default_branch": "main"},
        "commits": [{"id": sha, "message": f"commit {number}", "added": [], "modified": ["file.txt"], "removed": []}],
        "total_commits_count": 1,
    }


def main():
    if not DATABASE_URL:
        raise SystemExit("chaos: DATABASE_URL is not set; run through scripts/with-postgres.sh")
    root = tempfile.mkdtemp(prefix="trestle-chaos.")
    os.chmod(root, 0o755)
    lines = os.path.join(root, "lines.txt")
    remote, shas = make_remote(root, HOOK_TASKS)
    api_nodes = [Node(name, "serve", config(root, remote, lines, 0, name), root) for name in ("api-a", "api-b")]
    workers = [Node(name, "worker", config(root, remote, lines, 4, name), root) for name in ("w1", "w2", "w3")]
    nodes = api_nodes + workers
    try:
        for node in nodes:
            node.start()
        run(root, api_nodes, workers, lines, shas)
    finally:
        for node in nodes:
            node.stop()
        if failures:
            print(f"chaos: logs kept in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    if failures:
        raise SystemExit(f"chaos: {len(failures)} check(s) failed")
    print("chaos: every check passed")


def run(root, api_nodes, workers, lines, shas):
    node_a, node_b = api_nodes
    acknowledged = {}          # hook number -> delivery id
    delivery_ids = collections.defaultdict(set)
    retried = collections.Counter()
    created = []               # (workflow, task id) acknowledged by an API answer
    unanswered_creates = [0]
    lock = threading.Lock()

    def send_hook(number, first):
        path = "/api/webhook/gitlab/app"
        headers = {"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": HOOK_TOKEN, "Idempotency-Key": f"chaos-{number}"}
        order = [first, node_b if first is node_a else node_a]
        for attempt in range(200):
            node = order[attempt % 2]
            try:
                status, answer = call(node, "POST", path, push_hook(shas[number], number), headers, timeout=10)
            except OSError:
                with lock:
                    retried[number] += 1
                time.sleep(0.05)
                continue
            if status == 200 and isinstance(answer, dict) and answer.get("status") in ("accepted", "duplicate"):
                with lock:
                    acknowledged[number] = answer["delivery_id"]
                    delivery_ids[number].add(answer["delivery_id"])
                return
            time.sleep(0.05)
        fail(f"hook {number} was never acknowledged")

    def hooks():
        threads = []
        for number in range(HOOK_TASKS):
            # While api-a is down, its sends fail and go to api-b, as GitLab retries.
            first = api_nodes[number % 2]
            if number % 5 == 0:
                # The same delivery to both nodes at the same moment.
                twin = threading.Thread(target=send_hook, args=(number, node_b if first is node_a else node_a))
                twin.start()
                threads.append(twin)
            send_hook(number, first)
            time.sleep(0.03)
        for thread in threads:
            thread.join()

    def creates():
        body = {"workflow_name": "plain", "env_name": "dev",
                "targets": [{"name": "svc", "build": {"repos": [{"repo_name": "app", "branch": "main", "pr": 0}]}}]}
        for number in range(API_TASKS):
            node = api_nodes[number % 2]
            for attempt in range(100):
                try:
                    status, answer = call(node, "POST", "/api/directory/workflowTask/create", body)
                except OSError:
                    # Unknown whether the dead node stored it: counted, and the create goes to the other node.
                    with lock:
                        unanswered_creates[0] += 1
                    node = node_b if node is node_a else node_a
                    time.sleep(0.05)
                    continue
                if status == 200:
                    with lock:
                        created.append(("plain", answer["task_id"]))
                    break
                time.sleep(0.1)
            else:
                fail(f"create {number} was never answered")
            time.sleep(0.02)

    started = time.monotonic()
    threads = [threading.Thread(target=hooks), threading.Thread(target=creates)]
    for thread in threads:
        thread.start()

    # A worker killed while it runs a job (its runner name holds its pid), once ingest is well under way.
    wait_until("a third of the hooks to be acknowledged", 60, lambda: len(acknowledged) >= HOOK_TASKS // 3)
    victim = workers[0]
    wait_until("w1 to run a job", 60, lambda: psql(
        f"SELECT count(*) FROM tasks WHERE status = 'running' AND runner LIKE '%:{victim.process.pid}:%'")[0][0] != "0")
    running_on_victim = int(psql(f"SELECT count(*) FROM tasks WHERE status = 'running' AND runner LIKE '%:{victim.process.pid}:%'")[0][0])
    victim.kill()
    print(f"chaos: SIGKILLed worker w1 at {time.monotonic() - started:.1f} s with {running_on_victim} task(s) running on it", flush=True)
    # An API node killed while it ingests.
    node_a.kill()
    print(f"chaos: SIGKILLed API node api-a at {time.monotonic() - started:.1f} s, mid-ingest "
          f"({len(acknowledged)} hooks acknowledged so far)", flush=True)
    time.sleep(1)
    node_a.start()
    victim.start()
    print(f"chaos: restarted api-a and w1 at {time.monotonic() - started:.1f} s", flush=True)
    for thread in threads:
        thread.join()
    print(f"chaos: {len(acknowledged)} hooks and {len(created)} creates acknowledged at {time.monotonic() - started:.1f} s", flush=True)

    probes(root, node_a, node_b)

    # Everything ends: lost runners' tasks failed or requeued once their lease lapsed.
    wait_until("every task to end", 180, lambda: psql(
        "SELECT count(*) FROM tasks WHERE status IN ('created', 'running')")[0][0] == "0", interval=0.5)
    time.sleep(LEASE_SECONDS + 1)
    still = psql("SELECT count(*) FROM tasks WHERE status IN ('created', 'running')")[0][0]
    if still != "0":
        fail(f"{still} task(s) created or running after every lease lapsed")
    print(f"chaos: every task ended at {time.monotonic() - started:.1f} s", flush=True)

    # Status queries at either node find each hook task by its commit's first 8 characters.
    for number in range(0, HOOK_TASKS, 15):
        node = api_nodes[number % 2]
        status, answer = call(node, "GET", f"/api/directory/workflowTask?commitId={shas[number][:8]}")
        found = [("/hooked/" in task.get("url", ""), task.get("status")) for task in answer] if isinstance(answer, list) else answer
        if status != 200 or found != [(True, "passed")]:
            fail(f"commitId={shas[number][:8]} at {node.name} answered {status} {found}")

    check(acknowledged, delivery_ids, retried, created, unanswered_creates[0], lines)


def probes(root, node_a, node_b):
    probe = os.path.join(root, "probe")
    # A cancel through node A stops the job on whichever worker claimed it.
    status, answer = call(node_a, "POST", "/api/directory/workflowTask/create", {
        "workflow_name": "probe", "env_name": "dev",
        "targets": [{"name": "hang", "build": {"repos": [{"repo_name": "app", "branch": "main", "pr": 0}]}}]})
    if status != 200:
        return fail(f"the hang probe was not created: {status} {answer}")
    hang = answer["task_id"]
    pid_file = os.path.join(probe, "hang.pid")
    pid = int(wait_until("the hang job to start", 60, lambda: os.path.exists(pid_file) and open(pid_file).read().strip()))
    worker = open(os.path.join(probe, "hang.worker")).read().strip()
    status, answer = call(node_a, "POST", f"/api/directory/workflowTask/id/{hang}/pipelines/probe/cancel")
    asked = time.monotonic()
    if status != 200:
        fail(f"the cancel through api-a answered {status} {answer}")

    def gone():
        try:
            os.kill(pid, 0)
            return False
        except ProcessLookupError:
            return True

    try:
        wait_until("the cancelled job's process to end", 10, gone, interval=0.02)
        took = time.monotonic() - asked
        print(f"chaos: a cancel through api-a stopped the job on {worker} in {took:.2f} s", flush=True)
        if took >= 2:
            fail(f"the cancel took {took:.2f} s to stop the job on {worker} (at most 2 s)")
    except SystemExit as error:
        fail(str(error))

    # A log followed through node B, of a job on a worker, live.
    status, answer = call(node_a, "POST", "/api/directory/workflowTask/create", {
        "workflow_name": "probe", "env_name": "dev",
        "targets": [{"name": "chatty", "build": {"repos": [{"repo_name": "app", "branch": "main", "pr": 0}]}}]})
    if status != 200:
        return fail(f"the chatty probe was not created: {status} {answer}")
    chatty = answer["task_id"]
    path = f"/api/directory/workflowTask/id/{chatty}/pipelines/probe/logs?job=build-chatty"
    first = wait_until("the chatty job's first line through api-b", 60,
                       lambda: (lambda text: text if isinstance(text, str) and "one from" in text else None)(call(node_b, "GET", path)[1]))
    followed = {}

    def follow():
        followed["text"] = call(node_b, "GET", path + "&follow=true", timeout=60)[1]

    reader = threading.Thread(target=follow)
    reader.start()
    time.sleep(0.3)
    open(os.path.join(probe, "go"), "w").close()
    reader.join()
    text = followed.get("text", "")
    worker = first.split("one from ", 1)[1].split()[0]
    if not (isinstance(text, str) and text.startswith("one from") and "two" in text):
        fail(f"the log followed through api-b was {text!r}")
    else:
        print(f"chaos: a log followed through api-b showed the job on {worker} live: {text.splitlines()}", flush=True)


def check(acknowledged, delivery_ids, retried, created, unanswered_creates, lines):
    # Deliveries: one stored per key, each answered with one id, each processed once into one task.
    twice = {number: ids for number, ids in delivery_ids.items() if len(ids) > 1}
    if twice:
        fail(f"deliveries answered with two ids: {twice}")
    stored = int(psql("SELECT count(*) FROM webhook_deliveries")[0][0])
    outcomes = dict(psql("SELECT state, count(*) FROM webhook_outcomes GROUP BY state"))
    pending = int(psql("SELECT count(*) FROM webhook_pending")[0][0])
    if stored != HOOK_TASKS or len(acknowledged) != HOOK_TASKS:
        fail(f"{len(acknowledged)} hooks acknowledged and {stored} deliveries stored, for {HOOK_TASKS} sent")
    if pending or outcomes.get("created") != str(HOOK_TASKS):
        fail(f"delivery outcomes {outcomes}, {pending} still pending")
    per_delivery = psql("SELECT delivery_id, count(*) FROM webhook_subjects GROUP BY delivery_id HAVING count(*) <> 1")
    if per_delivery:
        fail(f"deliveries that made other than one task: {per_delivery}")
    hooked = psql("SELECT count(*), count(DISTINCT c.commit_id) FROM tasks t JOIN task_commits c ON c.task_pk = t.id WHERE t.workflow = 'hooked'")[0]
    if hooked != [str(HOOK_TASKS), str(HOOK_TASKS)]:
        fail(f"hook tasks: {hooked[0]} for {hooked[1]} commits, expected {HOOK_TASKS} of each")

    # Tasks: every one ended once; failures only by a lost runner; requeued ones passed later.
    rows = psql("SELECT workflow, task_id, status, attempt FROM tasks WHERE workflow IN ('plain', 'hooked')")
    statuses = collections.Counter((row[0], row[2]) for row in rows)
    lost = psql("""SELECT t.workflow, t.task_id, j.attempt, j.error FROM task_jobs j JOIN tasks t ON t.id = j.task_pk
                   WHERE j.status = 'failed' AND t.workflow IN ('plain', 'hooked')""")
    not_lost = [row for row in lost if "runner lost:" not in (row[3] or "")]
    if not_lost:
        fail(f"jobs failed for another reason than a lost runner: {not_lost[:5]}")
    bad = [row for row in rows if row[2] not in ("passed", "failed") or (row[0] == "hooked" and row[2] != "passed")]
    if bad:
        fail(f"tasks that did not end as they should: {bad[:10]}")
    requeued = [row for row in rows if int(row[3]) > 1]
    plain_stored = sum(1 for row in rows if row[0] == "plain")
    if not (len(created) <= plain_stored <= len(created) + unanswered_creates) or len(created) != API_TASKS:
        fail(f"{plain_stored} API tasks stored for {len(created)} answered creates ({unanswered_creates} unanswered)")

    # Job lines: none twice for one attempt; every passed task's jobs wrote theirs.
    counted = collections.Counter()
    workers = collections.Counter()
    with open(lines) as file:
        for line in file:
            task, attempt, job, worker = line.strip().rsplit(":", 3)
            counted[(task, attempt, job)] += 1
            workers[worker] += 1
    repeated = {key: count for key, count in counted.items() if count > 1}
    if repeated:
        fail(f"job lines written twice for one attempt: {list(repeated.items())[:5]}")
    # A requeued attempt keeps the jobs that passed before the runner was lost: each passed task's
    # job wrote its line in one of the attempts.
    missing = [row for row in rows if row[2] == "passed"
               and any(not any(counted[(f"{row[0]}/{row[1]}", str(attempt), job)] for attempt in range(1, int(row[3]) + 1))
                       for job in ("build-svc", "deploy-svc"))]
    if missing:
        fail(f"passed tasks without their job lines: {missing[:5]}")

    print("chaos: counts")
    print(f"  hooks: {len(acknowledged)} acknowledged, {sum(1 for n in range(HOOK_TASKS) if n % 5 == 0)} sent to both nodes at once, "
          f"{sum(retried.values())} sends refused by the killed node and retried; {stored} deliveries stored, outcomes {outcomes}")
    print(f"  creates: {len(created)} answered, {unanswered_creates} unanswered by the killed node and sent again; {plain_stored} stored")
    print(f"  tasks: {dict(statuses)}; {len(requeued)} requeued after a lost runner; {len(lost)} job(s) failed 'runner lost'")
    print(f"  job lines: {sum(counted.values())} for {len(counted)} attempts' jobs, none twice; by worker {dict(workers)}")


if __name__ == "__main__":
    main()
