#!/usr/bin/env bash
# action.yml's install step: uv, then every dependency at the version and hash requirements.lock pins, then
# reconciler itself (this action's commit, or INPUT_VERSION from the package index) without dependencies.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
python -m pip install --quiet --require-hashes -r "$root/requirements-bootstrap.lock"
python -m uv pip install --system --quiet --require-hashes -r "$root/requirements.lock"
if [ -n "${INPUT_VERSION:-}" ]; then
  python -m uv pip install --system --quiet --no-deps "experiment-reconciler==${INPUT_VERSION}"
else
  python -m uv pip install --system --quiet --no-deps "$root"
fi
reconciler --version
