#!/usr/bin/env bash
# Idempotent set-up for alpaca_nb: installs the package (editable) with its dev tools.
# Quick when nothing changed. GPU users keep the torch they have; a machine without torch
# gets torch==2.13.0 (a pinned release, so pip never pulls an unexpected multi-GB build).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
if ! "$PY" -c "import torch" >/dev/null 2>&1; then
  echo "[setup] installing torch==2.13.0"
  "$PY" -m pip install -q "torch==2.13.0"
fi
stamp=".setup-stamp"
want="$(cat settings.ini setup.py | sha256sum | cut -c1-16)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && "$PY" -c "import alpaca_nb" >/dev/null 2>&1; then
  echo "[setup] alpaca_nb already installed"
  exit 0
fi
echo "[setup] installing alpaca_nb and its requirements"
"$PY" -m pip install -q --disable-pip-version-check --root-user-action=ignore -e ".[dev]"
"$PY" -c "import alpaca_nb" >/dev/null
echo "$want" > "$stamp"
echo "[setup] done"
