#!/usr/bin/env python3
"""make bench's cluster figures: tasks completed per second through 1, 2 and 3 workers (each
executor.concurrency 4) behind one API node on one PostgreSQL, with no-op jobs (what the cluster
itself costs a task) and with jobs that wait half a second (what more workers add: slots), and the
latency from a create sent to the API node to its job starting on a worker (p50, p99), on an idle
cluster.

Each worker count gets a fresh database on the server scripts/with-postgres.sh started. The
machine is noisy: compare the worker counts within one run.

Usage: scripts/with-postgres.sh python3 scripts/bench-cluster.py [BIN]   (default .build/release/trestle)
"""
import os
import shutil
import sys
import tempfile
import threading
import time
import urllib.parse

if len(sys.argv) < 2:
    sys.argv.append(".build/release/trestle")
from cluster_lib import DATABASE_URL, Node, call, psql, wait_until  # noqa: E402

TASKS = int(os.environ.get("BENCH_CLUSTER_TASKS", "400"))
WAITING_TASKS = int(os.environ.get("BENCH_CLUSTER_WAITING_TASKS", "120"))
LATENCY_SAMPLES = int(os.environ.get("BENCH_CLUSTER_SAMPLES", "60"))
CLIENTS = 8


def database(name):
    psql(f"DROP DATABASE IF EXISTS {name}")
    psql(f"CREATE DATABASE {name}")
    parts = urllib.parse.urlsplit(DATABASE_URL)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


def config(root, concurrency, name):
    marks = os.path.join(root, "marks")
    text = f"""
server: {{ listen: "127.0.0.1:0" }}
storage: {{ postgres: {{ url: "${{BENCH_DATABASE_URL}}", pool_size: 8 }} }}
executor: {{ concurrency: {concurrency}, kill_grace: 1, isolation: none }}
auth:
  tokens:
    - {{ name: bench, token: "${{CHAOS_TOKEN}}", scopes: [read, trigger, admin] }}
workflows:
  - name: noop
    project: bench
    env: dev
    targets:
      - {{ name: svc, deploy: 'date +%s.%N > "{marks}/$TRESTLE_TASK_ID"' }}
  - name: waits
    project: bench
    env: dev
    targets:
      - {{ name: svc, deploy: 'sleep 0.5' }}
"""
    os.makedirs(marks, exist_ok=True)
    path = os.path.join(root, f"{name}.yaml")
    with open(path, "w") as file:
        file.write(text)
    return path


BODY = {"workflow_name": "noop", "env_name": "dev", "release_images": [{"image": "registry.test/svc:1", "service_name": "svc"}]}
WAITING = dict(BODY, workflow_name="waits")


def throughput(api, url, body, tasks):
    """Tasks ended per second, from the first create to the last end."""
    psql("DELETE FROM tasks", url)
    begun = time.time()
    per_client = tasks // CLIENTS

    def client():
        for _ in range(per_client):
            status, answer = call(api, "POST", "/api/directory/workflowTask/create", body)
            if status != 200:
                raise SystemExit(f"bench-cluster: a create answered {status} {answer}")

    clients = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in clients:
        thread.start()
    for thread in clients:
        thread.join()
    total = per_client * CLIENTS
    wait_until("every task to end", 600, lambda: psql(
        "SELECT count(*) FROM tasks WHERE status IN ('passed', 'failed')", url)[0][0] == str(total), interval=0.02)
    failed = psql("SELECT count(*) FROM tasks WHERE status <> 'passed'", url)[0][0]
    if failed != "0":
        raise SystemExit(f"bench-cluster: {failed} no-op task(s) did not pass")
    return total / (time.time() - begun)


def latency(api, root):
    """Seconds from a create sent to its job's first command, one task at a time."""
    marks = os.path.join(root, "marks")
    samples = []
    for _ in range(LATENCY_SAMPLES):
        sent = time.time()
        status, answer = call(api, "POST", "/api/directory/workflowTask/create", BODY)
        if status != 200:
            raise SystemExit(f"bench-cluster: a create answered {status} {answer}")
        mark = os.path.join(marks, str(answer["task_id"]))
        started = float(wait_until("the job to start", 30, lambda: os.path.exists(mark) and open(mark).read().strip(), interval=0.002))
        samples.append(started - sent)
        time.sleep(0.05)
    samples.sort()
    return samples[len(samples) // 2], samples[min(len(samples) - 1, int(len(samples) * 0.99))]


def main():
    results = {}
    for count in (1, 2, 3):
        root = tempfile.mkdtemp(prefix="trestle-bench-cluster.")
        os.chmod(root, 0o755)
        url = database(f"bench_cluster_{count}")
        env = {"BENCH_DATABASE_URL": url}
        nodes = [Node("api", "serve", config(root, 0, "api"), root, env)]
        nodes += [Node(f"w{n}", "worker", config(root, 4, f"w{n}"), root, env) for n in range(1, count + 1)]
        try:
            for node in nodes:
                node.start()
            rate = throughput(nodes[0], url, BODY, TASKS)
            waiting = throughput(nodes[0], url, WAITING, WAITING_TASKS)
            p50, p99 = latency(nodes[0], root) if count == 3 else (None, None)
            results[count] = (rate, waiting, p50, p99)
            print(f"bench-cluster: {count} worker(s): {rate:.0f} no-op tasks/s, {waiting:.1f} half-second tasks/s", flush=True)
        finally:
            for node in nodes:
                node.stop()
            shutil.rmtree(root, ignore_errors=True)
    one, one_waiting = results[1][0], results[1][1]
    print("== cluster: tasks through one API node and 1, 2, 3 workers (executor.concurrency 4 each), one PostgreSQL")
    for count, (rate, waiting, _, _) in results.items():
        print(f"   {count} worker(s): no-op jobs {rate:6.0f} tasks/s ({rate / one:.2f}x one worker); "
              f"half-second jobs {waiting:5.1f} tasks/s ({waiting / one_waiting:.2f}x)")
    _, _, p50, p99 = results[3]
    print(f"   create to first job, across processes (3 workers, idle): p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms "
          f"over {LATENCY_SAMPLES} creates")


if __name__ == "__main__":
    main()
