#!/usr/bin/env bash
# make bench (executor): from a GitLab push delivery to its first job process started, over
# BENCH_PUSHES pushes (default 200), each of a new commit of a freshly synced mirror. The time
# runs from just before curl starts (so it includes curl's own start-up) to the job's first
# command (`date +%s%N` inside the job's shell). Prints p50, p99 and the max, in milliseconds.
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

cat > "$DIR/bench.yaml" <<YAML
server: { listen: "127.0.0.1:0" }
storage: { sqlite: "trestle.sqlite" }
executor: { concurrency: 4 }
auth: { tokens: [{ name: bench, token: "\${BENCH_TOKEN}", scopes: [read] }] }
repos:
  - { name: voting-app, url: "file://$ABS/remote", gitlab_project: demo/voting-app, webhook_token: "\${BENCH_HOOK_TOKEN}" }
workflows:
  - name: bench
    project: bench
    env: dev
    targets:
      - { name: vote, repos: [voting-app], build: 'echo "\$COMMIT_SHA \$(date +%s%N)" >> "$ABS/starts"' }
    triggers:
      - { events: [push], repo: voting-app, branches: [main], targets: [vote] }
YAML

export BENCH_TOKEN="bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export BENCH_HOOK_TOKEN="hook-$BENCH_TOKEN"
"$BIN" mirror sync --config "$DIR/bench.yaml" --data-dir "$DIR" > /dev/null
. scripts/bench-lib.sh
start_trestle "$DIR/bench.yaml" "$DIR"
URL="$BASE/api/webhook/gitlab"

echo "== $PUSHES pushes, one every ${GAP}s"
TEMPLATE=samples/webhooks/push-main.json
before=$(head -n 1 "$DIR/commits")
: > "$DIR/sends"
for after in $(tail -n +2 "$DIR/commits"); do
  sed -e "s/95790bf891e76fee5e1747ab589903a6a1f80f22/$before/g" -e "s/1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b/$after/g" \
    "$TEMPLATE" > "$DIR/body.json"
  echo "$after $(date +%s%N)" >> "$DIR/sends"
  curl -sf -o /dev/null -X POST "$URL" -H "Content-Type: application/json" -H "X-Gitlab-Event: Push Hook" \
    -H "X-Gitlab-Token: $BENCH_HOOK_TOKEN" -H "Idempotency-Key: bench-$after" --data-binary "@$DIR/body.json"
  before=$after
  sleep "$GAP"
done

deadline=$((SECONDS + 120))
while [ "$(wc -l < "$ABS/starts" 2>/dev/null || echo 0)" -lt "$PUSHES" ]; do
  if [ $SECONDS -ge $deadline ]; then
    echo "only $(wc -l < "$ABS/starts" 2>/dev/null || echo 0) of $PUSHES jobs started within 120 s; server log:" >&2
    tail -20 "$DIR/server.log" >&2
    exit 1
  fi
  sleep 0.2
done

echo
echo "push delivery -> first job process started ($PUSHES pushes, fresh mirror)"
awk 'NR == FNR { sent[$1] = $2; next } ($1 in sent) { printf "%.3f\n", ($2 - sent[$1]) / 1e6 }' \
  "$DIR/sends" "$ABS/starts" | sort -n > "$DIR/latencies"
awk '{ v[NR] = $1 } END {
  p50 = v[int((NR - 1) * 0.50) + 1]; p99 = v[int((NR - 1) * 0.99) + 1]
  printf "p50 %.1f ms, p99 %.1f ms, max %.1f ms over %d jobs (target p50 <= 50 ms)\n", p50, p99, v[NR], NR
  exit !(p50 <= 50) }' "$DIR/latencies" && echo "target: met" || echo "target: NOT met"
