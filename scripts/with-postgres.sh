#!/usr/bin/env bash
# Runs a command beside a throwaway PostgreSQL cluster: initdb into a temporary directory, a
# server on its own loopback port, stopped when the command ends (failure and interrupt
# included). The command gets TRESTLE_TEST_POSTGRES_URL. When the cluster cannot start, this
# fails saying why: no PostgreSQL test is ever skipped silently.
# Usage: scripts/with-postgres.sh COMMAND [ARGS...]
set -euo pipefail

bin=""
for candidate in /usr/lib/postgresql/*/bin; do
  [ -x "$candidate/initdb" ] && bin=$candidate
done
if [ -z "$bin" ]; then
  echo "error: PostgreSQL's initdb is not installed; run scripts/ensure-deps.sh (it installs the postgresql package)" >&2
  exit 1
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/trestle-postgres.XXXXXX")
# initdb refuses to run as root: the cluster belongs to the postgres user when we are root.
as=()
if [ "$(id -u)" -eq 0 ]; then
  if ! id postgres >/dev/null 2>&1; then
    echo "error: running as root and there is no postgres user to own the test cluster; install the postgresql package" >&2
    exit 1
  fi
  chown postgres "$dir"
  as=(setpriv --reuid postgres --regid "$(id -g postgres)" --init-groups --)
fi

stop() {
  "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
if ! "${as[@]}" "$bin/initdb" -D "$dir/data" -U trestle --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1; then
  echo "error: initdb of the test cluster failed:" >&2
  cat "$dir/initdb.log" >&2
  exit 1
fi
if ! "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c fsync=off -c max_connections=200" start >/dev/null; then
  echo "error: the test PostgreSQL server did not start; its log:" >&2
  cat "$dir/server.log" >&2
  exit 1
fi
"${as[@]}" "$bin/createdb" -h 127.0.0.1 -p "$port" -U trestle trestle

export TRESTLE_TEST_POSTGRES_URL="postgres://trestle@127.0.0.1:$port/trestle?sslmode=disable"
echo "PostgreSQL test cluster on 127.0.0.1:$port ($("$bin/postgres" --version))"
"$@"
