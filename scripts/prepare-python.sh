#!/usr/bin/env bash
# The current Python SDKs from PyPI, for the client tests: a virtual environment at .venv-sdk/ made with the
# python3 first on PATH (not Debian's, whose python3-azure is the older SDK the tests also run), installed from
# test/programs/python/requirements.txt (exact versions, hashes required). A stamp holding the requirements' hash
# lets a later run reuse the environment without touching the network; pip's own cache keeps reinstalls fast.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-sdk
requirements=test/programs/python/requirements.txt
stamp="$venv/requirements.sha256"
python=$(command -v python3) || { echo "prepare-python: no python3 on PATH to make $venv with" >&2; exit 1; }
want="$(sha256sum "$requirements" | cut -d' ' -f1) $("$python" -c 'import sys; print(sys.version.split()[0])')"

if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi
echo "prepare-python: installing the PyPI SDKs into $venv ($requirements)" >&2
rm -rf "$venv"
"$python" -m venv "$venv"
# A failed install leaves no stamp, so the next run starts over instead of trusting a half-made environment.
if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --require-hashes --only-binary=:all: \
  -r "$requirements"; then
  echo "prepare-python: could not install $requirements into $venv (is PyPI reachable?)" >&2
  exit 1
fi
"$venv/bin/python" -c 'import azure.keyvault.certificates, azure.keyvault.keys, azure.keyvault.secrets, azure.identity'
echo "$want" >"$stamp"
