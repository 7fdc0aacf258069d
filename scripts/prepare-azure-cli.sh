#!/usr/bin/env bash
# The Azure CLI for test/az-cli.test.ts: a virtual environment at .venv-az with the pinned azure-cli from PyPI
# (test/programs/az/requirements.txt). Rebuilt only when the pins change; pip's cache keeps downloads between runs.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-az
pins=test/programs/az/requirements.txt
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$pins" | cut -d' ' -f1)"
if [ -x "$venv/bin/az" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then exit 0; fi
python=$(command -v python3.11 || command -v python3)
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$pins"
echo "$want" > "$stamp"
