#!/usr/bin/env bash
# Installs the system packages Trestle needs, only when something is missing.
# Usage: scripts/ensure-deps.sh [bench]
# (schemathesis and playwright, from PyPI, are installed by scripts/schemathesis.sh and
# scripts/browser-test.sh when they run.)
set -euo pipefail

missing=()
pkg-config --version >/dev/null 2>&1 || missing+=(pkg-config)
pkg-config --exists libgit2 2>/dev/null || missing+=(libgit2-dev)
pkg-config --exists sqlite3 2>/dev/null || missing+=(libsqlite3-dev)
command -v git >/dev/null 2>&1 || missing+=(git)
command -v curl >/dev/null 2>&1 || missing+=(curl)
# Jobs run in a bubblewrap sandbox (executor.isolation: bwrap, the default); prlimit (util-linux) sets their limits.
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
command -v prlimit >/dev/null 2>&1 || missing+=(util-linux)
# make test runs the store's tests against a throwaway PostgreSQL cluster (scripts/with-postgres.sh).
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
# make test's browser test drives Debian's chromium (Playwright, from PyPI, cannot download its own here).
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# schemathesis (make test's API check) comes from PyPI through pip.
python3 -m pip --version >/dev/null 2>&1 || missing+=(python3-pip)
if [ "${1:-}" = "bench" ]; then
  command -v wrk >/dev/null 2>&1 || missing+=(wrk)
  command -v bc >/dev/null 2>&1 || missing+=(bc)
  command -v sqlite3 >/dev/null 2>&1 || missing+=(sqlite3)
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "installing missing system packages: ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo_cmd=(sudo)
  else
    echo "error: ${missing[*]} missing and not root; install them with apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}"
