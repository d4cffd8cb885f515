#!/usr/bin/env bash
# make bench, git section: on a generated packed repo of BENCH_GIT_COMMITS commits (default 20,000)
# resolve every commit's 8-char prefix (shuffled) with `trestle resolve --git-dir` (libgit2,
# in-process, one process for the batch) vs `git cat-file --batch-check` over one pipe, and
# `git rev-parse` once per id for 200 ids; then an incremental fetch of 100 new commits by a
# trestle mirror vs `git fetch` on the same git-daemon remote. Checks every answer against git.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$PWD/.build/release/trestle
DIR=${BENCH_GIT_DIR:-$PWD/.bench-git}
COMMITS=${BENCH_GIT_COMMITS:-20000}
rm -rf "$DIR"; mkdir -p "$DIR"
export GIT_CONFIG_NOSYSTEM=1 HOME="$DIR" GIT_AUTHOR_NAME=b GIT_AUTHOR_EMAIL=b@x GIT_COMMITTER_NAME=b GIT_COMMITTER_EMAIL=b@x

echo "== generating a packed repo of $COMMITS commits"
git init -q --bare "$DIR/remote.git"
python3 scripts/make-big-repo.py "$COMMITS" | git -C "$DIR/remote.git" fast-import --quiet
git -C "$DIR/remote.git" repack -adq
git -C "$DIR/remote.git" rev-list --all | shuf --random-source=<(yes) > "$DIR/full.txt"
cut -c1-8 "$DIR/full.txt" > "$DIR/ids.txt"
N=$(wc -l < "$DIR/ids.txt")

now() { date +%s%N; }
t0=$(now); "$BIN" resolve --git-dir "$DIR/remote.git" < "$DIR/ids.txt" > "$DIR/ours.txt"; t1=$(now)
sed 's/$/^{commit}/' "$DIR/ids.txt" | git -C "$DIR/remote.git" cat-file --batch-check='%(objectname)' > "$DIR/catfile.txt"; t2=$(now)
head -n 200 "$DIR/ids.txt" > "$DIR/ids200.txt"
while read -r id; do git -C "$DIR/remote.git" rev-parse --verify -q "$id^{commit}"; done < "$DIR/ids200.txt" > "$DIR/revparse.txt"; t3=$(now)
cmp -s "$DIR/ours.txt" "$DIR/full.txt" || { echo "trestle resolve disagrees with git" >&2; diff "$DIR/ours.txt" "$DIR/full.txt" | head >&2; exit 1; }
cmp -s "$DIR/catfile.txt" "$DIR/full.txt" || { echo "cat-file answers differ (ambiguous 8-char prefixes?)" >&2; }
ours=$(( (t1 - t0) / N )); catfile=$(( (t2 - t1) / N )); revparse=$(( (t3 - t2) / 200 ))

echo "== incremental fetch of 100 new commits over git daemon"
exec_path=$(git --exec-path)
port=$((30000 + RANDOM % 10000))
"$exec_path/git-daemon" --reuseaddr --export-all --listen=127.0.0.1 --port=$port --base-path="$DIR" "$DIR" 2> "$DIR/daemon.log" &
daemon=$!
trap 'kill -9 $daemon 2>/dev/null || true' EXIT
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done
cat > "$DIR/trestle.yaml" <<YAML
server: { listen: "127.0.0.1:0" }
auth: { tokens: [] }
data_dir: $DIR/data
repos:
  - { name: remote, url: "git://127.0.0.1:$port/remote.git" }
YAML
"$BIN" mirror sync --config "$DIR/trestle.yaml" remote > /dev/null
git clone -q --mirror "git://127.0.0.1:$port/remote.git" "$DIR/gitmirror.git"
python3 scripts/make-big-repo.py 100 | sed "s/^commit refs\/heads\/main/commit refs\/heads\/more/" | git -C "$DIR/remote.git" fast-import --quiet
t4=$(now); "$BIN" mirror sync --config "$DIR/trestle.yaml" remote > /dev/null; t5=$(now)
git -C "$DIR/gitmirror.git" fetch -q --prune origin; t6=$(now)
[ "$(git -C "$DIR/data/mirrors/remote.git" rev-parse refs/heads/more)" = "$(git -C "$DIR/remote.git" rev-parse refs/heads/more)" ] \
  || { echo "mirror did not fetch the new commits" >&2; exit 1; }
ours_fetch=$(( (t5 - t4) / 1000000 )); git_fetch=$(( (t6 - t5) / 1000000 ))

echo
printf '%-58s %12s\n' "resolve $N random 8-char ids ($COMMITS-commit packed repo)" "µs per id"
printf '%-58s %12.2f\n' "trestle resolve --git-dir (libgit2, one process)" "$(echo "$ours / 1000" | bc -l)"
printf '%-58s %12.2f\n' "git cat-file --batch-check (one pipe)" "$(echo "$catfile / 1000" | bc -l)"
printf '%-58s %12.2f\n' "git rev-parse per id (200 calls)" "$(echo "$revparse / 1000" | bc -l)"
echo "ratios: cat-file/trestle = $(echo "scale=1; $catfile / $ours" | bc) (target >= 2), rev-parse/trestle = $(echo "scale=0; $revparse / $ours" | bc) (target >= 200)"
echo "incremental fetch of 100 commits: trestle ${ours_fetch} ms, git fetch ${git_fetch} ms, ratio $(echo "scale=2; $ours_fetch / $git_fetch" | bc) (target <= 1.5)"
