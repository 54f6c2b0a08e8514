#!/usr/bin/env bash
# action.yml's install step: uv and the build backend (by hash), then every dependency at the version and hash
# requirements.lock pins, then reconciler itself without dependencies, built with that pinned backend
# (--no-build-isolation: nothing unpinned is fetched to build it). INPUT_VERSION takes a release from the
# package index instead: that one file is not checked by hash.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
python -m pip install --quiet --require-hashes -r "$root/requirements-bootstrap.lock"
python -m uv pip install --system --quiet --require-hashes -r "$root/requirements.lock"
if [ -n "${INPUT_VERSION:-}" ]; then
  python -m uv pip install --system --quiet --no-deps "experiment-reconciler==${INPUT_VERSION}"
else
  python -m uv pip install --system --quiet --no-deps --no-build-isolation "$root"
fi
reconciler --version
