#!/usr/bin/env bash
# action.yml's install step: uv and the build backend (by hash), then every dependency at the version and hash
# requirements.lock pins, then reconciler itself without dependencies, built with that pinned backend
# (--no-build-isolation: nothing unpinned is fetched to build it). Only this checkout is ever installed: no
# package name is looked up on an index (an unpublished name is anyone's to register).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
python -m pip install --quiet --require-hashes -r "$root/requirements-bootstrap.lock"
python -m uv pip install --system --quiet --require-hashes -r "$root/requirements.lock"
python -m uv pip install --system --quiet --no-deps --no-build-isolation "$root"
reconciler --version
