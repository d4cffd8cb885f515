#!/usr/bin/env bash
# Replays a GitLab-format webhook delivery against a running Trestle.
# Usage: samples/send-webhook.sh FILE [URL]
#   URL defaults to http://127.0.0.1:8080/api/webhook/gitlab.
#   The secret comes from $TRESTLE_WEBHOOK_TOKEN, else .trestle/trestle-webhook-token (make run's).
#   IDEMPOTENCY_KEY=... replays with a fixed key (GitLab re-sends with the same one); unset, each send is new.
#   AFTER=<40-hex commit id> replaces the samples' head commit 1a2b3c4d… with a commit your repo has
#   (e.g. AFTER=$(git -C .trestle/demo/voting-app rev-parse main)), so the task's jobs can check it out.
set -euo pipefail
file=${1:?usage: samples/send-webhook.sh FILE [URL]}
url=${2:-http://127.0.0.1:8080/api/webhook/gitlab}
token=${TRESTLE_WEBHOOK_TOKEN:-$(cat "$(dirname "$0")/../.trestle/trestle-webhook-token" 2>/dev/null || true)}
[ -n "$token" ] || { echo "no webhook secret: set TRESTLE_WEBHOOK_TOKEN or run make run once" >&2; exit 2; }
kind=$(grep -m1 -o '"object_kind": *"[a-z_]*"' "$file" | sed 's/.*"\([a-z_]*\)"$/\1/')
case "$kind" in
  push) event="Push Hook" ;;
  tag_push) event="Tag Push Hook" ;;
  merge_request) event="Merge Request Hook" ;;
  note) event="Note Hook" ;;
  *) echo "$file: unknown object_kind '$kind'" >&2; exit 2 ;;
esac
if [ -n "${AFTER:-}" ]; then
  case "$AFTER" in
    [0-9a-f][0-9a-f][0-9a-f][0-9a-f]*) [ ${#AFTER} -eq 40 ] || { echo "AFTER must be a full 40-hex commit id" >&2; exit 2; } ;;
    *) echo "AFTER must be a full 40-hex commit id" >&2; exit 2 ;;
  esac
  replaced=$(mktemp)
  trap 'rm -f "$replaced"' EXIT
  sed "s/1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b/$AFTER/g" "$file" > "$replaced"
  file=$replaced
fi
key=${IDEMPOTENCY_KEY:-$(cat /proc/sys/kernel/random/uuid 2>/dev/null || date +%s%N)}
curl -sS -X POST "$url" \
  -H "Content-Type: application/json" \
  -H "X-Gitlab-Event: $event" \
  -H "X-Gitlab-Token: $token" \
  -H "X-Gitlab-Event-UUID: $(cat /proc/sys/kernel/random/uuid 2>/dev/null || echo replay)" \
  -H "Idempotency-Key: $key" \
  -H "User-Agent: GitLab/17.5.0 (trestle send-webhook.sh)" \
  --data-binary "@$file"
echo
