#!/usr/bin/env bash
# The demo: validate the examples (later: plan -> apply -> plan against the sandbox).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/reconciler validate examples/
