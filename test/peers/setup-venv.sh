#!/usr/bin/env bash
# Idempotent: create <repo>/.venv (python3 -m venv) and install test/peers/requirements.txt.
# Usage: bash test/peers/setup-venv.sh     (env PYTHON=python3.11 to pick the interpreter)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="$repo/.venv"
req="$here/requirements.txt"
py="${PYTHON:-python3}"
stamp="$venv/.meshwatch-requirements.sha256"

if [ ! -x "$venv/bin/python" ]; then
  echo "setup-venv: creating $venv with $($py --version 2>&1)"
  "$py" -m venv "$venv"
else
  echo "setup-venv: reusing $venv ($("$venv/bin/python" --version 2>&1))"
fi

want="$(sha256sum "$req" | cut -d' ' -f1)"
have="$(cat "$stamp" 2>/dev/null || true)"
if [ "$want" = "$have" ] && "$venv/bin/python" -c 'import dbt.version, openlineage.dbt, dbt_loom' 2>/dev/null; then
  echo "setup-venv: requirements unchanged and importable; nothing to install"
else
  echo "setup-venv: installing $(grep -cvE '^\s*(#|$)' "$req") pinned packages from test/peers/requirements.txt"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" 2>&1 \
    | grep -v "^WARNING: Location 'file://" || true
  "$venv/bin/python" -c 'import dbt.version, openlineage.dbt, dbt_loom' \
    || { echo "setup-venv: install failed" >&2; exit 1; }
  echo "$want" > "$stamp"
fi
echo "setup-venv: ready: $("$venv/bin/python" -m pip freeze 2>/dev/null \
  | grep -iE '^(dbt-core|dbt-duckdb|duckdb|dbt-loom|openlineage-dbt|openlineage-python)==' | paste -sd ' ')"
