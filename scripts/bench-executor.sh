#!/usr/bin/env bash
# make bench (executor): from a GitLab push delivery to its first job process started, over
# BENCH_PUSHES pushes (default 200), each of a new commit of a freshly synced mirror, once with
# jobs in bubblewrap sandboxes (executor.isolation: bwrap, the default) and once with isolation:
# none, in one run. The time runs from just before curl starts (so it includes curl's own
# start-up) to the job's first command (`date +%s%N` inside the job's shell, read back from the
# job's log). Prints p50, p99 and the max, in milliseconds, and the sandbox's cost.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=.build/release/trestle
DIR=${BENCH_EXEC_DIR:-.bench-exec}
PUSHES=${BENCH_PUSHES:-200}
GAP=${BENCH_PUSH_GAP:-0.05}

rm -rf "$DIR"
mkdir -p "$DIR"
case "$DIR" in /*) ABS="$DIR" ;; *) ABS="$PWD/$DIR" ;; esac

echo "== a remote of $((PUSHES + 1)) commits, and a fresh mirror of it"
git init -q -b main "$ABS/remote"
mkdir -p "$ABS/remote/vote"
for i in $(seq 1 $((PUSHES + 1))); do
  echo "$i" > "$ABS/remote/vote/version"
  git -C "$ABS/remote" add vote/version
  git -C "$ABS/remote" -c user.name=bench -c user.email=bench@trestle.invalid commit -q -m "bench $i"
done
git -C "$ABS/remote" rev-list --reverse main > "$DIR/commits"
export BENCH_TOKEN="bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export BENCH_HOOK_TOKEN="hook-$BENCH_TOKEN"
. scripts/bench-lib.sh

# bench_isolation MODE: a fresh data dir and mirror, the pushes, and the latencies in $DIR/MODE/latencies.
bench_isolation() {
  local mode=$1 data="$ABS/$1"
  rm -rf "$data"
  mkdir -p "$data"

  cat > "$data/bench.yaml" <<YAML
server: { listen: "127.0.0.1:0" }
storage: { sqlite: "trestle.sqlite" }
executor: { concurrency: 4, isolation: $mode }
auth: { tokens: [{ name: bench, token: "\${BENCH_TOKEN}", scopes: [read] }] }
repos:
  - { name: voting-app, url: "file://$ABS/remote", gitlab_project: demo/voting-app, webhook_token: "\${BENCH_HOOK_TOKEN}" }
workflows:
  - name: bench
    project: bench
    env: dev
    targets:
      - { name: vote, repos: [voting-app], build: 'echo "started \$COMMIT_SHA \$(date +%s%N)"' }
    triggers:
      - { events: [push], repo: voting-app, branches: [main], targets: [vote] }
YAML
  "$BIN" mirror sync --config "$data/bench.yaml" --data-dir "$data" > /dev/null
  start_trestle "$data/bench.yaml" "$data"
  local url="$BASE/api/webhook/gitlab" before after
  echo "== isolation $mode: $PUSHES pushes, one every ${GAP}s"
  before=$(head -n 1 "$DIR/commits")
  : > "$data/sends"
  for after in $(tail -n +2 "$DIR/commits"); do
    sed -e "s/95790bf891e76fee5e1747ab589903a6a1f80f22/$before/g" -e "s/1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b/$after/g" \
      samples/webhooks/push-main.json > "$data/body.json"
    echo "$after $(date +%s%N)" >> "$data/sends"
    curl -sf -o /dev/null -X POST "$url" -H "Content-Type: application/json" -H "X-Gitlab-Event: Push Hook" \
      -H "X-Gitlab-Token: $BENCH_HOOK_TOKEN" -H "Idempotency-Key: bench-$mode-$after" --data-binary "@$data/body.json"
    before=$after
    sleep "$GAP"
  done
  local deadline=$((SECONDS + 120)) started=0
  while true; do
    started=$(cat "$data"/logs/bench/*/1/build-vote.log 2>/dev/null | grep -c '^started ' || true)
    [ "$started" -ge "$PUSHES" ] && break
    if [ $SECONDS -ge $deadline ]; then
      echo "only $started of $PUSHES jobs started within 120 s; server log:" >&2
      tail -20 "$data/server.log" >&2
      exit 1
    fi
    sleep 0.2
  done
  kill "$SERVER" 2>/dev/null || true
  wait "$SERVER" 2>/dev/null || true
  cat "$data"/logs/bench/*/1/build-vote.log | grep '^started ' | awk '{ print $2, $3 }' > "$data/starts"
  awk 'NR == FNR { sent[$1] = $2; next } ($1 in sent) { printf "%.3f\n", ($2 - sent[$1]) / 1e6 }' \
    "$data/sends" "$data/starts" | sort -n > "$data/latencies"
}

percentile() { awk -v q="$2" '{ v[NR] = $1 } END { printf "%.1f", v[int((NR - 1) * q) + 1] }' "$1"; }

bench_isolation none
bench_isolation bwrap

echo
echo "push delivery -> first job process started ($PUSHES pushes each, fresh mirror, one run)"
for mode in none bwrap; do
  f="$ABS/$mode/latencies"
  printf "%-6s p50 %s ms, p99 %s ms, max %s ms over %d jobs\n" "$mode" "$(percentile "$f" 0.50)" "$(percentile "$f" 0.99)" \
    "$(percentile "$f" 1.0)" "$(wc -l < "$f")"
done
p50_none=$(percentile "$ABS/none/latencies" 0.50)
p50_bwrap=$(percentile "$ABS/bwrap/latencies" 0.50)
echo "the sandbox adds $(echo "$p50_bwrap - $p50_none" | bc) ms at p50 (ratio $(echo "scale=2; $p50_bwrap / $p50_none" | bc))"
awk -v p="$p50_bwrap" 'BEGIN { exit !(p <= 50) }' && echo "target (bwrap p50 <= 50 ms): met" || echo "target (bwrap p50 <= 50 ms): NOT met"
