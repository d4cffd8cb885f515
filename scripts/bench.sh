#!/usr/bin/env bash
# make bench: seeds a fresh SQLite store with BENCH_TASKS tasks (default 1,000,000), serves it,
# and measures with wrk on loopback, in one run, GET /api/directory/workflowTask?commitId=<random
# seeded 8-char prefix> against GET /healthz. Prints requests/s, p50, p99 and the ratio.
# The configured repo has a fetched mirror, as in production, so every query is first resolved
# against the mirror (where the seeded ids are unknown) and then answered from the store's index.
# Then webhook ingest: POST /api/webhook/gitlab with samples/webhooks/push-main.json (~3 KB) and a
# unique Idempotency-Key per request, each delivery committed (group commit) before its 2xx.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=.build/release/trestle
DIR=${BENCH_DIR:-.bench}
TASKS=${BENCH_TASKS:-1000000}
DURATION=${BENCH_DURATION:-15s}
CONNECTIONS=${BENCH_CONNECTIONS:-16}
TOKEN="bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"

if [ "${BENCH_REUSE:-0}" = 1 ] && [ "$(cat "$DIR/seeded" 2>/dev/null)" = "$TASKS" ]; then
  echo "== reusing the $TASKS tasks seeded in $DIR (BENCH_REUSE=1)"
else
  rm -rf "$DIR"
  mkdir -p "$DIR"
  echo "== seeding $TASKS tasks into a fresh store"
  "$BIN" bench-seed --sqlite "$DIR/trestle.sqlite" --count "$TASKS" --prefixes "$DIR/prefixes.txt"
  echo "$TASKS" > "$DIR/seeded"
fi

case "$DIR" in /*) REMOTE="$DIR/remote" ;; *) REMOTE="$PWD/$DIR/remote" ;; esac
if [ ! -d "$REMOTE" ]; then
  git init -q -b main "$REMOTE"
  for i in 1 2 3; do
    git -C "$REMOTE" -c user.name=bench -c user.email=bench@trestle.invalid commit -q --allow-empty -m "bench $i"
  done
fi

cat > "$DIR/bench.yaml" <<YAML
server: { listen: "127.0.0.1:0" }
storage: { sqlite: "trestle.sqlite" }
# The seeded tasks are there to be queried, not run.
executor: { concurrency: 0 }
auth:
  tokens:
    - { name: bench, token: "\${BENCH_TOKEN}", scopes: [read] }
repos:
  - { name: repo, url: "file://$REMOTE", gitlab_project: demo/voting-app, webhook_token: "\${BENCH_HOOK_TOKEN}" }
workflows:
  - name: bench-workflow
    project: bench
    env: dev
    targets:
      - { name: svc, repos: [repo] }
    # The processor does its full work for each delivery: decode, match, coalesce with the first task.
    triggers:
      - { events: [push], repo: repo, branches: [main], paths: ["vote/**"] }
YAML

export BENCH_HOOK_TOKEN="hook-$TOKEN"
export BENCH_TOKEN="$TOKEN"
"$BIN" mirror sync --config "$DIR/bench.yaml" --data-dir "$DIR" > /dev/null
. scripts/bench-lib.sh
start_trestle "$DIR/bench.yaml" "$DIR"

sample=$(head -n 1 "$DIR/prefixes.txt")
answer=$(curl -sf -H "Authorization: Bearer $TOKEN" "$BASE/api/directory/workflowTask?commitId=$sample")
case "$answer" in
  '[{"'*) echo "== sanity: commitId=$sample answers $answer" ;;
  *) echo "commitId=$sample did not find its task: $answer" >&2; exit 1 ;;
esac

# Both routes go through the same Lua request() hook, drawing a random prefix each time, so
# the client (which shares the machine's two cores with the server) does the same work per
# request for both and the ratio compares server cost alone.
write_lua() { # file, path expression
  cat > "$1" <<LUA
local prefixes = {}
for line in io.lines("$DIR/prefixes.txt") do prefixes[#prefixes + 1] = line end
math.randomseed(42)
wrk.headers["Authorization"] = "Bearer $TOKEN"
request = function()
  local prefix = prefixes[math.random(#prefixes)]
  return wrk.format("GET", $2)
end
LUA
}
write_lua "$DIR/commit.lua" '"/api/directory/workflowTask?commitId=" .. prefix'
write_lua "$DIR/healthz.lua" '"/healthz"'
BODY_FILE="$PWD/samples/webhooks/push-main.json"
cat > "$DIR/webhook.lua" <<LUA
local file = io.open("$BODY_FILE", "rb")
local body = file:read("*a")
file:close()
local counter = 0
local thread_id = tostring(math.random(1, 1000000000))
request = function()
  counter = counter + 1
  return wrk.format("POST", "/api/webhook/gitlab", {
    ["Content-Type"] = "application/json",
    ["X-Gitlab-Event"] = "Push Hook",
    ["X-Gitlab-Token"] = "$BENCH_HOOK_TOKEN",
    ["Idempotency-Key"] = "bench-" .. thread_id .. "-" .. os.time() .. "-" .. counter,
  }, body)
end
LUA

run_wrk() { # name, extra args...
  local name=$1; shift
  wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency "$@" > "$DIR/$name.txt"
  if grep -q "Non-2xx" "$DIR/$name.txt"; then
    echo "$name: some responses were not 2xx" >&2
    cat "$DIR/$name.txt" >&2
    exit 1
  fi
}

echo "== warm-up"
wrk -t1 -c"$CONNECTIONS" -d3s -s "$DIR/commit.lua" "$BASE" > /dev/null
wrk -t1 -c"$CONNECTIONS" -d3s -s "$DIR/healthz.lua" "$BASE" > /dev/null
echo "== measuring ($DURATION each, $CONNECTIONS connections, wrk -t1)"
run_wrk healthz -s "$DIR/healthz.lua" "$BASE"
run_wrk commit -s "$DIR/commit.lua" "$BASE"
run_wrk webhook -s "$DIR/webhook.lua" "$BASE"
# Ingest runs ahead of processing under load (the processor has a lower priority): how far
# behind it was when wrk stopped, and how long it took to catch up.
backlog=$(sqlite3 "$DIR/trestle.sqlite" "SELECT count(*) FROM webhook_pending" 2>/dev/null || echo "?")
drain_start=$(date +%s%N)
drain_deadline=$((SECONDS + 300))
while [ "$(sqlite3 "$DIR/trestle.sqlite" "SELECT count(*) FROM webhook_pending" 2>/dev/null || echo 0)" != 0 ]; do
  [ $SECONDS -ge $drain_deadline ] && break
  sleep 0.2
done
drain_ms=$(( ($(date +%s%N) - drain_start) / 1000000 ))

summary() { # file → "rps p50ms p99ms"
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec/ { rps = $2 }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    END { printf "%.0f %.3f %.3f\n", rps, p50, p99 }' "$1"
}
read -r h_rps h_p50 h_p99 <<< "$(summary "$DIR/healthz.txt")"
read -r c_rps c_p50 c_p99 <<< "$(summary "$DIR/commit.txt")"
read -r w_rps w_p50 w_p99 <<< "$(summary "$DIR/webhook.txt")"
ratio=$(awk -v c="$c_rps" -v h="$h_rps" 'BEGIN { printf "%.1f", 100 * c / h }')
w_ratio=$(awk -v c="$w_rps" -v h="$h_rps" 'BEGIN { printf "%.1f", 100 * c / h }')

echo
printf '%-44s %12s %10s %10s\n' "route ($TASKS tasks in store)" "requests/s" "p50 ms" "p99 ms"
printf '%-44s %12s %10s %10s\n' "GET /healthz" "$h_rps" "$h_p50" "$h_p99"
printf '%-44s %12s %10s %10s\n' "GET /api/directory/workflowTask?commitId=" "$c_rps" "$c_p50" "$c_p99"
printf '%-44s %12s %10s %10s\n' "POST /api/webhook/gitlab (3 KB push)" "$w_rps" "$w_p50" "$w_p99"
echo "commitId requests/s = ${ratio}% of /healthz (target >= 50%); commitId p99 = ${c_p99} ms (target <= 5 ms)"
echo "webhook requests/s = ${w_ratio}% of /healthz (target >= 30%); webhook p99 = ${w_p99} ms (target <= 20 ms)"
stored=$(sqlite3 "$DIR/trestle.sqlite" "SELECT count(*) FROM webhook_deliveries" 2>/dev/null || echo "?")
echo "deliveries committed: $stored; still unprocessed when wrk stopped: $backlog, processed ${drain_ms} ms later"
awk -v r="$ratio" -v p="$c_p99" -v wr="$w_ratio" -v wp="$w_p99" 'BEGIN { exit !(r >= 50 && p <= 5 && wr >= 30 && wp <= 20) }' \
  && echo "targets: met" || echo "targets: NOT met"
