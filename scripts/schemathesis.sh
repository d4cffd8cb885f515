#!/usr/bin/env bash
# make test's last step: schemathesis (PyPI) generates requests for every operation of the
# OpenAPI document a live server serves at /openapi.yaml, and checks that each one gets a
# documented answer: no 5xx, a documented status, content type and body schema.
# Usage: scripts/schemathesis.sh [BIN]   (default .build/debug/trestle)
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${1:-.build/debug/trestle}
EXAMPLES=${SCHEMATHESIS_EXAMPLES:-30}
# Run as a module, so a pip that installs scripts off PATH still works.
st() { python3 -m schemathesis.cli "$@"; }
if ! st --version >/dev/null 2>&1; then
  echo "installing schemathesis (PyPI)"
  pip_install=(python3 -m pip install -q --disable-pip-version-check 'schemathesis>=4,<5')
  # A Debian-managed python refuses plain installs (PEP 668).
  "${pip_install[@]}" || "${pip_install[@]}" --break-system-packages
fi

DIR=$(mktemp -d "${TMPDIR:-/tmp}/trestle-schemathesis.XXXXXX")
# Jobs run in sandboxes as an unprivileged user, which must be able to enter the data dir.
chmod 711 "$DIR"
cleanup_dir() { rm -rf "$DIR"; }
REMOTE="$DIR/remote"
git init -q -b main "$REMOTE"
git -C "$REMOTE" -c user.name=schemathesis -c user.email=st@trestle.invalid commit -q --allow-empty -m "first"

TOKEN="st-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export ST_TOKEN="$TOKEN" ST_HOOK_TOKEN="hook-$TOKEN"
cat > "$DIR/trestle.yaml" <<YAML
server: { listen: "127.0.0.1:0", max_body_bytes: 65536 }
storage: { sqlite: "trestle.sqlite" }
executor: { concurrency: 1 }
auth:
  tokens:
    - { name: schemathesis, token: "\${ST_TOKEN}", scopes: [read, trigger, admin] }
repos:
  - { name: app, url: "file://$REMOTE", gitlab_project: demo/app, webhook_token: "\${ST_HOOK_TOKEN}" }
workflows:
  - name: app-workflow
    project: demo
    env: dev
    targets:
      - { name: svc, repos: [app], build: "true", deploy: "true" }
    triggers:
      - { events: [push], repo: app, branches: [main] }
YAML

. scripts/bench-lib.sh
start_trestle "$DIR/trestle.yaml" "$DIR"
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; cleanup_dir' EXIT

CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance
status=0
# From the temp dir: schemathesis keeps a cache (.schemathesis/) in its working directory.
run_schemathesis() {
  (cd "$DIR" && st "$@" run "$BASE/openapi.yaml" --url "$BASE" \
    -H "Authorization: Bearer $TOKEN" \
    --checks "$CHECKS" \
    --phases examples,coverage,fuzzing \
    --max-examples "$EXAMPLES" --seed 1 --generation-database none) || status=$?
}

echo "== schemathesis against $BASE/openapi.yaml ($EXAMPLES examples per operation): any ids"
run_schemathesis

# Then over data that exists, so requests get past "not found": a task of app-workflow, a
# flow descriptor with an execution, and every id parameter pinned to them.
H="Authorization: Bearer $TOKEN"
curl -sf -H "$H" -X POST "$BASE/api/directory/workflowTask/create" \
  -d '{"workflow_name":"app-workflow","env_name":"dev","targets":[{"name":"svc","build":{"repos":[{"repo_name":"app","branch":"main"}]}}]}' >/dev/null
printf 'workspace: st\ndagName: flow\ntasks:\n  - { name: first, category: pass, next: second }\n  - { name: second, category: pass }\n' |
  curl -sf -H "$H" -H 'Content-Type: text/plain' --data-binary @- \
    "$BASE/flow/bg/manage/descriptor/add_descriptor.json?business_id=st&feature_name=flow&alias=release" >/dev/null
curl -sf -H "$H" -H 'Content-Type: application/json' -d '{"left":1}' "$BASE/flow/submit.json?descriptor_id=st:flow" >/dev/null
cat > "$DIR/schemathesis.toml" <<TOML
[parameters]
"path.id" = 1
"path.name" = "app-workflow"
"path.pipeline" = "app-workflow"
"path.pipeline_id" = "app-workflow"
"path.workflow_id" = "app-workflow"
"path.project_id" = "demo"
"path.project" = "demo"
"query.projectName" = "demo"
"query.descriptor_id" = "st:flow"
"query.execution_id" = "st:flow_c_1"
TOML
echo "== schemathesis again, over a task and a flow execution that exist"
run_schemathesis --config-file "$DIR/schemathesis.toml"

if [ $status -ne 0 ]; then
  echo "schemathesis found answers the document does not describe; the server's log:" >&2
  tail -n 50 "$DIR/server.log" >&2
fi
exit $status
