#!/usr/bin/env bash
# Builds a small repository with history, a rename, tags and a merge-request ref.
# Usage: make-repo.sh DIR COMMITS
set -euo pipefail
dir=$1
commits=${2:-40}
[ "$commits" -ge 5 ] || { echo "make-repo.sh needs at least 5 commits" >&2; exit 2; }
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
export GIT_AUTHOR_DATE="2026-01-01T00:00:00Z" GIT_COMMITTER_DATE="2026-01-01T00:00:00Z"
git init -q -b main "$dir"
cd "$dir"
mkdir -p vote docs
for i in $(seq 1 "$commits"); do
  echo "line $i" >> "vote/file$((i % 7)).txt"
  echo "doc $i" > "docs/note$((i % 3)).md"
  git add -A
  GIT_AUTHOR_DATE="2026-01-01T00:$((i / 60 % 60)):$((i % 60))Z" GIT_COMMITTER_DATE="2026-01-01T00:$((i / 60 % 60)):$((i % 60))Z" \
    git commit -q -m "commit $i"
done
git tag light-tag HEAD~3
git tag -a -m "release" v1.0 HEAD~1
git tag -a -m "tag of tag" v1.0-signed v1.0
git checkout -q -b feature
git mv vote/file1.txt vote/renamed.txt
echo "feature" > vote/new.txt
git rm -q docs/note0.md
git add -A
git commit -q -m "feature: rename, add, delete"
git checkout -q main
git update-ref refs/merge-requests/7/head feature
