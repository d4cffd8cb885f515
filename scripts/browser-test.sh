#!/usr/bin/env bash
# make test's browser test (scripts/browser-test.py): the dashboard in headless Chromium, from
# Debian's `chromium` package (scripts/ensure-deps.sh installs it), driven by Playwright for Python
# (PyPI; installed here when missing, with no browser download: it drives the installed one).
# Usage: scripts/browser-test.sh [BIN]   (default .build/debug/trestle)
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  echo "error: chromium is not installed; run scripts/ensure-deps.sh (it installs Debian's chromium package)" >&2
  exit 1
fi
if ! python3 -c 'import playwright' >/dev/null 2>&1; then
  echo "installing playwright (PyPI)"
  pip_install=(python3 -m pip install -q --disable-pip-version-check 'playwright>=1.40,<2')
  # A Debian-managed python refuses plain installs (PEP 668).
  "${pip_install[@]}" || "${pip_install[@]}" --break-system-packages
fi
# Playwright must not fetch a browser of its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
exec python3 scripts/browser-test.py "$@"
