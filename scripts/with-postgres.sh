#!/usr/bin/env bash
# Runs a command beside a PostgreSQL cluster of its own: a server on its own loopback port,
# stopped when the command ends (failure and interrupt included). The command gets
# TRESTLE_TEST_POSTGRES_URL and DATABASE_URL. When the cluster cannot start, this fails saying
# why: no PostgreSQL test is ever skipped silently.
#
# By default the cluster is thrown away: initdb into a temporary directory, fsync off (tests).
# TRESTLE_POSTGRES_DIR=DIR keeps it in DIR/data across runs (make run DB=postgres, make bench),
# with PostgreSQL's own durable defaults (fsync and synchronous_commit on).
# Usage: [TRESTLE_POSTGRES_DIR=DIR] scripts/with-postgres.sh COMMAND [ARGS...]
set -euo pipefail

bin=""
for candidate in /usr/lib/postgresql/*/bin; do
  [ -x "$candidate/initdb" ] && bin=$candidate
done
if [ -z "$bin" ]; then
  echo "error: PostgreSQL's initdb is not installed; run scripts/ensure-deps.sh (it installs the postgresql package)" >&2
  exit 1
fi

kept=${TRESTLE_POSTGRES_DIR:-}
if [ -n "$kept" ]; then
  mkdir -p "$kept"
  dir=$(cd "$kept" && pwd)
  settings="-c shared_buffers=256MB"
else
  dir=$(mktemp -d "${TMPDIR:-/tmp}/trestle-postgres.XXXXXX")
  settings="-c fsync=off"
fi
# initdb refuses to run as root: the cluster belongs to the postgres user when we are root.
as=()
if [ "$(id -u)" -eq 0 ]; then
  if ! id postgres >/dev/null 2>&1; then
    echo "error: running as root and there is no postgres user to own the cluster; install the postgresql package" >&2
    exit 1
  fi
  chown postgres "$dir"
  as=(setpriv --reuid postgres --regid "$(id -g postgres)" --init-groups --)
  if ! "${as[@]}" test -w "$dir"; then
    echo "error: the postgres user cannot write $dir (a directory above it is closed to others); use a directory it can reach" >&2
    exit 1
  fi
fi

stop() {
  "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true
  [ -n "$kept" ] || rm -rf "$dir"
}
trap stop EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
fresh=0
if [ ! -s "$dir/data/PG_VERSION" ]; then
  fresh=1
  if ! "${as[@]}" "$bin/initdb" -D "$dir/data" -U trestle --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1; then
    echo "error: initdb of the PostgreSQL cluster in $dir failed:" >&2
    cat "$dir/initdb.log" >&2
    exit 1
  fi
fi
if ! "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c max_connections=200 $settings" start >/dev/null; then
  echo "error: the PostgreSQL server in $dir did not start; its log:" >&2
  tail -n 30 "$dir/server.log" >&2
  exit 1
fi
[ $fresh = 1 ] && "${as[@]}" "$bin/createdb" -h 127.0.0.1 -p "$port" -U trestle trestle

export TRESTLE_TEST_POSTGRES_URL="postgres://trestle@127.0.0.1:$port/trestle?sslmode=disable"
export DATABASE_URL="$TRESTLE_TEST_POSTGRES_URL"
export TRESTLE_POSTGRES_BIN="$bin" TRESTLE_POSTGRES_PORT="$port"
echo "PostgreSQL cluster on 127.0.0.1:$port ($("$bin/postgres" --version))${kept:+, kept in $dir}"
"$@"
