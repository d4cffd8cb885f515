"""Real trestle processes on loopback for scripts/chaos.py and scripts/bench-cluster.py (the
binary is argv[1], default .build/debug/trestle): each
`Node` is one `trestle serve` or `trestle worker` with its own data dir, started on port 0."""
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/debug/trestle")
DATABASE_URL = os.environ.get("DATABASE_URL", "")
PSQL = os.path.join(os.environ.get("TRESTLE_POSTGRES_BIN", "/usr/bin"), "psql")
TOKEN = "chaos-" + os.urandom(8).hex()
HOOK_TOKEN = "hook-" + os.urandom(8).hex()


def psql(sql, url=None):
    out = subprocess.run([PSQL, url or DATABASE_URL, "-X", "-At", "-F", "\t", "-c", sql], check=True, capture_output=True, text=True)
    return [line.split("\t") for line in out.stdout.splitlines() if line]


def wait_until(what, seconds, condition, interval=0.05):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise SystemExit(f"cluster: gave up waiting {seconds} s for {what}")


class Node:
    """One trestle process: its role, config, data dir and the port it last bound."""

    def __init__(self, name, role, config, root, env=None):
        self.name, self.role, self.config = name, role, config
        self.env = env or {}
        self.dir = os.path.join(root, name)
        os.makedirs(self.dir, exist_ok=True)
        self.process = None
        self.base = None
        self.starts = 0

    def start(self):
        port_file = os.path.join(self.dir, "port")
        if os.path.exists(port_file):
            os.remove(port_file)
        self.starts += 1
        log = open(os.path.join(self.dir, f"log-{self.starts}.txt"), "w")
        env = dict(os.environ, CHAOS_TOKEN=TOKEN, CHAOS_HOOK_TOKEN=HOOK_TOKEN, **self.env)
        self.process = subprocess.Popen(
            [BIN, self.role, "--config", self.config, "--data-dir", self.dir, "--listen", "127.0.0.1:0",
             "--port-file", port_file, "--log-level", "warning"],
            stdout=log, stderr=subprocess.STDOUT, env=env)

        def listening():
            if self.process.poll() is not None:
                log.flush()
                tail = open(log.name).read()[-2000:]
                raise SystemExit(f"cluster: {self.name} exited with {self.process.returncode}; its log ends:\n{tail}")
            return os.path.exists(port_file) and open(port_file).read().strip()

        port = wait_until(f"{self.name} to listen", 120, listening)
        self.base = f"http://127.0.0.1:{port}"

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def call(node, method, path, body=None, headers=None, timeout=30):
    """(status, parsed JSON or text); raises OSError when the node is unreachable."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(node.base + path, data=data, method=method)
    request.add_header("Authorization", f"Bearer {TOKEN}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            text = answer.read().decode()
            status = answer.status
    except urllib.error.HTTPError as error:
        text, status = error.read().decode(), error.code
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text
