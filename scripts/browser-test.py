#!/usr/bin/env python3
"""make test's browser test: the dashboard in headless Chromium (Debian's `chromium`, driven by
Playwright for Python through its executable_path), against a real `trestle serve` on loopback.

A person's path through it: sign in; see a running task; watch its log lines arrive live; press
Cancel on another and see its status change without a reload; open the pipeline picture; open a
delivery and read why it was ignored; sign out.

Usage: scripts/browser-test.sh [BIN]   (installs Playwright when missing; default .build/debug/trestle)
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

from playwright.sync_api import expect, sync_playwright

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/debug/trestle")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
TOKEN = "browser-" + os.urandom(8).hex()
OPS = "ops-" + os.urandom(8).hex()
HOOK = "hook-" + os.urandom(8).hex()


def step(text):
    print(f"browser: {text}", flush=True)


def api(base, method, path, body=None, token=TOKEN, headers=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read().decode() or "null")


def main():
    root = tempfile.mkdtemp(prefix="trestle-browser.")
    os.chmod(root, 0o755)
    remote = os.path.join(root, "remote")
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@trestle.invalid", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@trestle.invalid")
    subprocess.run(["git", "init", "-q", "-b", "main", remote], check=True)
    subprocess.run(["git", "-C", remote, "commit", "-q", "--allow-empty", "-m", "first"], check=True, env=env)
    go = os.path.join(root, "go")
    chatty = (f'printf "\\033[32mone\\033[0m\\n"; echo two; while [ ! -f "{go}" ]; do sleep 0.05; done; '
              f'echo three; echo four')
    config = os.path.join(root, "trestle.yaml")
    with open(config, "w") as file:
        file.write(f"""
server: {{ listen: "127.0.0.1:0" }}
storage: {{ sqlite: "trestle.sqlite" }}
executor: {{ concurrency: 2, kill_grace: 1, isolation: none }}
auth:
  tokens:
    - {{ name: people, token: "${{BROWSER_TOKEN}}", scopes: [read, trigger] }}
    - {{ name: ops, token: "${{BROWSER_OPS}}", scopes: [admin] }}
repos:
  - {{ name: app, url: "file://{remote}", gitlab_project: demo/app, webhook_token: "${{BROWSER_HOOK}}" }}
workflows:
  - name: web
    project: demo
    env: dev
    targets:
      - {{ name: chatty, repos: [app], build: '{chatty}' }}
      - {{ name: hang, repos: [app], build: 'exec sleep 300' }}
    triggers:
      - {{ events: [push], repo: app, branches: [main] }}
""")
    port_file = os.path.join(root, "port")
    server = subprocess.Popen([BIN, "serve", "--config", config, "--data-dir", root, "--port-file", port_file, "--log-level", "warning"],
                              stdout=open(os.path.join(root, "server.log"), "w"), stderr=subprocess.STDOUT,
                              env=dict(os.environ, BROWSER_TOKEN=TOKEN, BROWSER_OPS=OPS, BROWSER_HOOK=HOOK))
    ok = False
    try:
        deadline = time.monotonic() + 60
        while not (os.path.exists(port_file) and open(port_file).read().strip()):
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("browser: the server did not start: " + open(os.path.join(root, "server.log")).read()[-2000:])
            time.sleep(0.1)
        base = f"http://127.0.0.1:{open(port_file).read().strip()}"
        run(base, go)
        ok = True
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        if ok:
            shutil.rmtree(root, ignore_errors=True)
        else:
            print(f"browser: the server's data and log are kept in {root}")


def reload_until(page, condition, seconds=20):
    """Reloads the page until `condition` holds: server-rendered pages that do not update themselves."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if condition():
                return
        except Exception:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {seconds} s on {page.url}")
        time.sleep(0.3)
        page.reload()


def create(base, target):
    body = {"workflow_name": "web", "env_name": "dev",
            "targets": [{"name": target, "build": {"repos": [{"repo_name": "app", "branch": "main", "pr": 0}]}}]}
    return api(base, "POST", "/api/directory/workflowTask/create", body)["task_id"]


def run(base, go):
    chatty = create(base, "chatty")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page()
        page.set_default_timeout(20_000)

        page.goto(base + "/")
        expect(page).to_have_url(base + "/ui/sign-in?next=/")
        page.fill("input[name=token]", TOKEN)
        page.click("button[type=submit]")
        expect(page.locator("h1")).to_have_text("Tasks")
        step("signed in, on the tasks page")

        row = page.locator(f'tr[data-task="web/{chatty}"]')
        reload_until(page, lambda: row.locator(".status").inner_text() == "running")
        expect(row.locator(".status")).to_have_text("running")
        step(f"task {chatty} is listed running")

        row.locator("a").first.click()
        expect(page.locator("svg.pipeline")).to_be_visible()
        expect(page.locator('svg.pipeline g[data-job="build-chatty"]')).to_have_class("job s-running")
        step("the task's page draws its pipeline, the job running")

        page.click('a:has-text("build-chatty")')
        log = page.locator("pre#log")
        expect(log.locator(".line").nth(1)).to_contain_text("two")
        expect(log.locator(".line").first.locator(".ansi-32")).to_have_text("one")
        url = page.url
        open(go, "w").close()
        expect(log.locator(".line").nth(3)).to_contain_text("four")
        expect(page.locator("[data-status]")).to_have_text("passed")
        assert page.url == url, "the log page was not reloaded"
        expect(page.locator("#L3 a.n")).to_have_attribute("href", "#L3")
        step("the log streamed its lines live, colours rendered, one anchor per line, and ended passed")

        hang = create(base, "hang")
        page.goto(base + f"/v1/projects/detail/demo/pipelines/multi/web/{hang}")
        page.wait_for_function("() => document.querySelector('[data-status]').textContent === 'running'", polling=300)
        page.evaluate("window.__stayed = true")
        page.click("#cancel")
        expect(page.locator("h1 [data-status]")).to_have_text("cancelled")
        assert page.evaluate("window.__stayed === true"), "Cancel reloaded the page"
        step(f"Cancel on task {hang} changed its status to cancelled without a reload")

        api(base, "POST", "/api/webhook/gitlab/app", token=None, headers={"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": HOOK},
            body={"object_kind": "push", "ref": "refs/heads/feature", "before": "0" * 40, "after": "1" * 40,
                  "checkout_sha": "1" * 40, "project": {"id": 1, "path_with_namespace": "demo/app"}, "commits": [],
                  "total_commits_count": 0})
        page.click("#sign-out")
        expect(page).to_have_url(base + "/ui/sign-in")
        page.fill("input[name=token]", OPS)
        page.click("button[type=submit]")
        page.click('nav a:has-text("Deliveries")')
        first = page.locator("tr[data-delivery] a").first
        first.click()
        reload_until(page, lambda: page.locator("[data-outcome]").inner_text() == "ignored")
        expect(page.locator("dd.why")).to_contain_text("feature")
        step("the delivery's page says why it was ignored: " + page.locator("dd.why").inner_text())

        page.click("#sign-out")
        expect(page.locator("h1")).to_have_text("Sign in")
        page.goto(base + "/")
        expect(page).to_have_url(base + "/ui/sign-in?next=/")
        step("signed out: the tasks page asks to sign in again")
        browser.close()
    print("browser: every step passed")


if __name__ == "__main__":
    main()
