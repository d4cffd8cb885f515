#!/usr/bin/env bash
# Adds commits to the repository in the current directory until two commits share a
# 4-character id prefix; branches probe-a and probe-b point at them. Prints the prefix.
set -euo pipefail
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
export GIT_AUTHOR_DATE="2026-01-01T00:00:00Z" GIT_COMMITTER_DATE="2026-01-01T00:00:00Z"
tree=$(git mktree </dev/null)
declare -A seen
for i in $(seq 1 5000); do
  commit=$(git commit-tree "$tree" -m "probe $i")
  prefix=${commit:0:4}
  if [ -n "${seen[$prefix]:-}" ]; then
    git update-ref refs/heads/probe-a "${seen[$prefix]}"
    git update-ref refs/heads/probe-b "$commit"
    echo "$prefix"
    exit 0
  fi
  seen[$prefix]=$commit
done
echo "no 4-character collision in 5000 commits" >&2
exit 1
