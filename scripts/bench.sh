#!/usr/bin/env bash
# make bench: seeds a fresh SQLite store with BENCH_TASKS tasks (default 1,000,000), serves it,
# and measures with wrk on loopback, in one run, GET /api/directory/workflowTask?commitId=<random
# seeded 8-char prefix> against GET /healthz. Prints requests/s, p50, p99 and the ratio.
# The configured repo has a fetched mirror, as in production, so every query is first resolved
# against the mirror (where the seeded ids are unknown) and then answered from the store's index.
# Then webhook ingest: POST /api/webhook/gitlab with samples/webhooks/push-main.json (~3 KB) and a
# unique Idempotency-Key per request, each delivery committed (group commit) before its 2xx.
# Then a mixed run: the commitId queries again while webhooks arrive at half the ingest rate just
# measured (wrk's per-connection delay), the status tail under writes.
# BENCH_DB=postgres does the same on PostgreSQL: a cluster kept in .bench-pg/postgres, started and
# stopped around the run, with PostgreSQL's durable defaults (fsync, synchronous_commit on).
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=.build/release/trestle
DB=${BENCH_DB:-sqlite}
case "$DB" in
  sqlite) DIR=${BENCH_DIR:-.bench} ;;
  postgres) DIR=${BENCH_DIR:-.bench-pg} ;;
  *) echo "BENCH_DB=$DB: use sqlite (the default) or postgres" >&2; exit 2 ;;
esac
if [ "$DB" = postgres ] && [ -z "${TRESTLE_POSTGRES_PORT:-}" ]; then
  mkdir -p "$DIR"
  TRESTLE_POSTGRES_DIR="$DIR/postgres" exec scripts/with-postgres.sh "$0" "$@"
fi
psql_bench() { # SQL on the bench database
  "$TRESTLE_POSTGRES_BIN/psql" -h 127.0.0.1 -p "$TRESTLE_POSTGRES_PORT" -U trestle -d "${1}" -tAq -c "$2"
}
count_rows() { # table → rows in the bench store, or ?
  if [ "$DB" = postgres ]; then psql_bench bench "SELECT count(*) FROM $1" 2>/dev/null || echo "?"
  else sqlite3 "$DIR/trestle.sqlite" "SELECT count(*) FROM $1" 2>/dev/null || echo "?"; fi
}
TASKS=${BENCH_TASKS:-1000000}
DURATION=${BENCH_DURATION:-15s}
CONNECTIONS=${BENCH_CONNECTIONS:-16}
TOKEN="bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"

if [ "${BENCH_REUSE:-0}" = 1 ] && [ "$(cat "$DIR/seeded" 2>/dev/null)" = "$TASKS" ]; then
  echo "== reusing the $TASKS tasks seeded in $DIR (BENCH_REUSE=1)"
else
  mkdir -p "$DIR"
  find "$DIR" -mindepth 1 -maxdepth 1 ! -name postgres -exec rm -rf {} +
  echo "== seeding $TASKS tasks into a fresh $DB store"
  if [ "$DB" = postgres ]; then
    psql_bench trestle "DROP DATABASE IF EXISTS bench WITH (FORCE)"
    psql_bench trestle "CREATE DATABASE bench"
    "$BIN" bench-seed --postgres "postgres://trestle@127.0.0.1:$TRESTLE_POSTGRES_PORT/bench?sslmode=disable" \
      --count "$TASKS" --prefixes "$DIR/prefixes.txt"
    psql_bench bench "VACUUM ANALYZE"
  else
    "$BIN" bench-seed --sqlite "$DIR/trestle.sqlite" --count "$TASKS" --prefixes "$DIR/prefixes.txt"
  fi
  echo "$TASKS" > "$DIR/seeded"
fi
# Seeding (or an earlier run) leaves gigabytes of dirty pages that the kernel, and PostgreSQL's
# spread checkpoint, write back for minutes: every commit's fsync then waited behind them, and
# webhook ingest measured the disk's write-back, not the server. Flushed before measuring.
echo "== flushing dirty pages before measuring"
if [ "$DB" = postgres ]; then psql_bench bench "CHECKPOINT"; fi
sync
export BENCH_DATABASE_URL="postgres://trestle@127.0.0.1:${TRESTLE_POSTGRES_PORT:-0}/bench?sslmode=disable"
if [ "$DB" = postgres ]; then STORAGE='{ postgres: { url: "${BENCH_DATABASE_URL}", pool_size: 16 } }'; else STORAGE='{ sqlite: "trestle.sqlite" }'; fi

case "$DIR" in /*) REMOTE="$DIR/remote" ;; *) REMOTE="$PWD/$DIR/remote" ;; esac
if [ ! -d "$REMOTE" ]; then
  git init -q -b main "$REMOTE"
  for i in 1 2 3; do
    git -C "$REMOTE" -c user.name=bench -c user.email=bench@trestle.invalid commit -q --allow-empty -m "bench $i"
  done
fi

cat > "$DIR/bench.yaml" <<YAML
server: { listen: "127.0.0.1:0" }
storage: $STORAGE
# The seeded tasks are there to be queried, not run.
executor: { concurrency: 0 }
auth:
  tokens:
    - { name: bench, token: "\${BENCH_TOKEN}", scopes: [read, trigger] }
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
  # The dashboard's task page is measured on a task of 50 jobs (never run: concurrency 0).
  - name: bench-pages
    project: bench
    env: dev
    targets:
      - { name: svc, repos: [repo] }
    stages:
      - name: checks
        jobs:
$(for i in $(seq 1 49); do echo "          - { name: check-$i, run: \"true\" }"; done)
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

# Task creates through the API: the branch resolved against the mirror, the task stored and indexed.
cat > "$DIR/create.lua" <<LUA
wrk.method = "POST"
wrk.path = "/api/directory/workflowTask/create"
wrk.headers["Authorization"] = "Bearer $TOKEN"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"workflow_name":"bench-workflow","env_name":"dev","targets":[{"name":"svc","build":{"repos":[{"repo_name":"repo","branch":"main","pr":0}]}}]}'
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
run_wrk create -s "$DIR/create.lua" "$BASE"
# Ingest runs ahead of processing under load (the processor has a lower priority): how far
# behind it was when wrk stopped, and how long it took to catch up.
backlog=$(count_rows webhook_pending)
drain() { # waits (up to 5 min) until every delivery is processed; prints how long it took, in ms
  local start deadline
  start=$(date +%s%N)
  deadline=$((SECONDS + 300))
  while [ "$(count_rows webhook_pending)" != 0 ]; do
    [ $SECONDS -ge $deadline ] && break
    sleep 0.2
  done
  echo $(( ($(date +%s%N) - start) / 1000000 ))
}
drain_ms=$(drain)

summary() { # file → "rps p50ms p99ms"
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec/ { rps = $2 }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    END { printf "%.0f %.3f %.3f\n", rps, p50, p99 }' "$1"
}
# The dashboard's pages, one connection (server time, not queueing): the tasks page over the
# whole store, and the page of a task of 50 jobs (its build job and 49 checks).
cookie=$(curl -s -o /dev/null -D - -X POST "$BASE/ui/sign-in" --data-urlencode "token=$TOKEN" --data "next=/" \
  | awk 'tolower($1) == "set-cookie:" { split($2, a, ";"); print a[1] }')
page_task=$(curl -sf -H "Authorization: Bearer $TOKEN" -X POST "$BASE/api/directory/workflowTask/create" \
  -d '{"workflow_name":"bench-pages","env_name":"dev","targets":[{"name":"svc","build":{"repos":[{"repo_name":"repo","branch":"main","pr":0}]}}]}' \
  | sed 's/.*"url":"\([^"]*\)".*/\1/')
write_page_lua() { # file, path
  cat > "$1" <<LUA
wrk.headers["Cookie"] = "$cookie"
wrk.headers["Accept"] = "text/html"
wrk.path = "$2"
LUA
}
write_page_lua "$DIR/tasks-page.lua" "/"
write_page_lua "$DIR/task-page.lua" "${page_task#"$BASE"}"
curl -sf -H "Cookie: $cookie" -H "Accept: text/html" "$page_task" | grep -q 'data-job="check-49"' \
  || { echo "the 50-job task page did not render its jobs" >&2; exit 1; }
echo "== the dashboard's pages ($DURATION each, 1 connection)"
CONNECTIONS=1 run_wrk tasks-page -s "$DIR/tasks-page.lua" "$BASE"
CONNECTIONS=1 run_wrk task-page -s "$DIR/task-page.lua" "$BASE"

read -r h_rps h_p50 h_p99 <<< "$(summary "$DIR/healthz.txt")"
read -r c_rps c_p50 c_p99 <<< "$(summary "$DIR/commit.txt")"
read -r w_rps w_p50 w_p99 <<< "$(summary "$DIR/webhook.txt")"
read -r t_rps t_p50 t_p99 <<< "$(summary "$DIR/create.txt")"

# The mixed run: webhooks at about half the ingest rate just measured, the commitId queries as
# before, both at once.
# Each connection sends, waits for the answer, then waits delay_ms: the delay leaves out the
# measured p50 so that the 8 connections together come near half the rate.
MIXED_HOOK_CONNECTIONS=8
delay_ms=$(awk -v w="$w_rps" -v p="$w_p50" -v c="$MIXED_HOOK_CONNECTIONS" 'BEGIN { d = c * 1000 / (w / 2) - p; printf "%.0f", (d < 1 ? 1 : d) }')
sed "s/^request = function()/delay = function() return $delay_ms end\nrequest = function()/" "$DIR/webhook.lua" > "$DIR/webhook-half.lua"
echo "== mixed: commitId queries while webhooks arrive at half the ingest rate ($MIXED_HOOK_CONNECTIONS connections, ${delay_ms} ms apart)"
wrk -t1 -c"$MIXED_HOOK_CONNECTIONS" -d"$DURATION" --latency -s "$DIR/webhook-half.lua" "$BASE" > "$DIR/mixed-webhook.txt" &
hooks=$!
run_wrk mixed-commit -s "$DIR/commit.lua" "$BASE"
wait $hooks
mixed_drain_ms=$(drain)
read -r m_rps m_p50 m_p99 <<< "$(summary "$DIR/mixed-commit.txt")"
read -r mw_rps mw_p50 mw_p99 <<< "$(summary "$DIR/mixed-webhook.txt")"
ratio=$(awk -v c="$c_rps" -v h="$h_rps" 'BEGIN { printf "%.1f", 100 * c / h }')
w_ratio=$(awk -v c="$w_rps" -v h="$h_rps" 'BEGIN { printf "%.1f", 100 * c / h }')
t_ratio=$(awk -v c="$t_rps" -v h="$h_rps" 'BEGIN { printf "%.1f", 100 * c / h }')

echo
printf '%-44s %12s %10s %10s\n' "route ($TASKS tasks, $DB)" "requests/s" "p50 ms" "p99 ms"
printf '%-44s %12s %10s %10s\n' "GET /healthz" "$h_rps" "$h_p50" "$h_p99"
printf '%-44s %12s %10s %10s\n' "GET /api/directory/workflowTask?commitId=" "$c_rps" "$c_p50" "$c_p99"
printf '%-44s %12s %10s %10s\n' "POST /api/webhook/gitlab (3 KB push)" "$w_rps" "$w_p50" "$w_p99"
printf '%-44s %12s %10s %10s\n' "POST /api/directory/workflowTask/create" "$t_rps" "$t_p50" "$t_p99"
printf '%-44s %12s %10s %10s\n' "mixed: GET ...?commitId= under webhooks" "$m_rps" "$m_p50" "$m_p99"
printf '%-44s %12s %10s %10s\n' "mixed: POST /api/webhook/gitlab (paced)" "$mw_rps" "$mw_p50" "$mw_p99"
read -r tp_rps tp_p50 tp_p99 <<< "$(summary "$DIR/tasks-page.txt")"
read -r jp_rps jp_p50 jp_p99 <<< "$(summary "$DIR/task-page.txt")"
printf '%-44s %12s %10s %10s\n' "dashboard: tasks page (1 connection)" "$tp_rps" "$tp_p50" "$tp_p99"
printf '%-44s %12s %10s %10s\n' "dashboard: a task of 50 jobs (1 connection)" "$jp_rps" "$jp_p50" "$jp_p99"
if [ "$DB" = postgres ]; then status_goal=40; status_p99=10; hook_goal=25; hook_p99=1000000
else status_goal=50; status_p99=5; hook_goal=30; hook_p99=20; fi
echo "commitId requests/s = ${ratio}% of /healthz (target >= ${status_goal}%); commitId p99 = ${c_p99} ms (target <= ${status_p99} ms)"
echo "webhook requests/s = ${w_ratio}% of /healthz (target >= ${hook_goal}%); webhook p99 = ${w_p99} ms"
echo "task creates/s = ${t_ratio}% of /healthz"
echo "mixed: commitId p99 = ${m_p99} ms while ${mw_rps} webhooks/s arrived (target <= 10 ms)"
echo "dashboard pages: tasks page p99 = ${tp_p99} ms, 50-job task page p99 = ${jp_p99} ms (target <= 20 ms server time)"
stored=$(count_rows webhook_deliveries)
echo "deliveries committed: $stored; still unprocessed when wrk stopped: $backlog, processed ${drain_ms} ms later; after the mixed run, ${mixed_drain_ms} ms"
awk -v r="$ratio" -v p="$c_p99" -v wr="$w_ratio" -v wp="$w_p99" -v mp="$m_p99" -v rg="$status_goal" -v pg="$status_p99" -v wg="$hook_goal" -v wpg="$hook_p99" \
  'BEGIN { exit !(r >= rg && p <= pg && wr >= wg && wp <= wpg && mp <= 10) }' \
  && echo "targets: met" || echo "targets: NOT met"
