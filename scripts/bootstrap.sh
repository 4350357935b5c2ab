#!/usr/bin/env bash
# Shared by scripts/start and scripts/test: a virtual environment with the pinned packages.
# Re-running is cheap: packages are reinstalled only when pyproject.toml or constraints.txt change.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

source scripts/lib.sh

find_python() {
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      echo "$candidate"; return 0
    fi
  done
  echo "CoAct needs Python 3.11 (python3.11 on PATH)" >&2; return 1
}

PYTHON="$(find_python)"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv 2>/dev/null || { apt_install python3.11-venv && "$PYTHON" -m venv .venv; }
fi
STAMP=".venv/.coact-installed"
WANT="$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
  echo "==> installing pinned packages into .venv (first run takes a few minutes)"
  LOG="$(mktemp)"
  if ! { .venv/bin/python -m pip install -q --upgrade pip &&
         .venv/bin/python -m pip install -q -c constraints.txt -e ".[test]"; } >"$LOG" 2>&1; then
    cat "$LOG"; echo "package installation failed" >&2; exit 1
  fi
  rm -f "$LOG"
  echo "$WANT" > "$STAMP"
fi
.venv/bin/python -m coact.i18n >/dev/null
