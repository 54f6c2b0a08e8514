#!/usr/bin/env bash
# The demo: validate the examples, then plan -> apply -> plan against the embedded sandbox.
# The sandbox keeps its state in .reconciler/sandbox.json; the demo starts from a fresh demo account.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin
source scripts/style.sh

rm -f .reconciler/sandbox.json
step reconciler validate examples/
$bin/reconciler validate examples/
step reconciler plan examples/demo.yaml --sandbox
$bin/reconciler plan examples/demo.yaml --sandbox
step reconciler apply examples/demo.yaml --sandbox --auto-approve
$bin/reconciler apply examples/demo.yaml --sandbox --auto-approve
step reconciler plan examples/demo.yaml --sandbox --detailed-exitcode
$bin/reconciler plan examples/demo.yaml --sandbox --detailed-exitcode
echo "(exit 0: the account matches the configuration)"
# The other two providers, against the same sandbox (one server emulates every installed vendor's API).
for example in examples/taplytics.yaml examples/flagship.yaml; do
  step reconciler apply "$example" --sandbox --auto-approve
  $bin/reconciler apply "$example" --sandbox --auto-approve
  step reconciler plan "$example" --sandbox --detailed-exitcode
  $bin/reconciler plan "$example" --sandbox --detailed-exitcode
done
echo
echo "reconciler is installed in .venv: in a new shell run 'source .venv/bin/activate' (then 'reconciler --help'),"
echo "or call .venv/bin/reconciler directly."
