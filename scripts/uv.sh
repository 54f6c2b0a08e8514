#!/usr/bin/env bash
# Prints the path of a uv at the version requirements-bootstrap.lock pins, for the Makefile to set up .venv
# with. The first of: .venv's own (a venv set up before), a `uv` on PATH, the copy in the cache dir; else it
# installs that copy, by hash, with pip (the system one; without it, one that ensurepip puts in .venv).
# The cache dir spares every fresh clone pip's slow look-up of uv (it reads the index's list of every uv
# file); uv then installs itself into .venv from the same lock, by hash, like the rest.
# usage: scripts/uv.sh [PYTHON]   (PYTHON: the one pip runs with, when there is no system pip; default python3)
set -euo pipefail
cd "$(dirname "$0")/.."
python=${1:-python3}
lock=requirements-bootstrap.lock
version=$(sed -n 's/^uv==\([^ ;]*\).*/\1/p' "$lock")
[ -n "$version" ] || { echo "scripts/uv.sh: $lock pins no uv" >&2; exit 1; }
cache=${RECONCILER_UV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/experiment-reconciler}/uv-$version

fits() { [ -x "$1" ] && [ "$("$1" --version 2>/dev/null | cut -d' ' -f2)" = "$version" ]; }

for candidate in .venv/bin/uv "$(command -v uv || true)" "$cache/bin/uv"; do
  if [ -n "$candidate" ] && fits "$candidate"; then
    echo "$candidate"
    exit 0
  fi
done

# Not found: install uv alone (the lock's entry for it, every hash) into a temporary dir beside the cache,
# then move it in place, so that two set-ups at once never see half a copy.
mkdir -p "$(dirname "$cache")"
tmp=$(mktemp -d "$cache.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
awk '/^[^ #]/ { keep = /^uv==/ } keep' "$lock" > "$tmp/uv.lock"
pip_flags=(install --quiet --disable-pip-version-check --no-deps --only-binary :all: --require-hashes
  --target "$tmp/target" -r "$tmp/uv.lock")
if ! "$python" -m pip --version >/dev/null 2>&1; then
  echo "scripts/uv.sh: $python has no pip: installing one into .venv (ensurepip) to bootstrap uv" >&2
  [ -x .venv/bin/python ] || "$python" -m venv --without-pip .venv
  .venv/bin/python -m ensurepip --upgrade >/dev/null
  python=.venv/bin/python
fi
PIP_ROOT_USER_ACTION=ignore "$python" -m pip "${pip_flags[@]}" >&2
fits "$tmp/target/bin/uv" || { echo "scripts/uv.sh: pip installed no uv $version" >&2; exit 1; }
[ ! -e "$cache" ] || fits "$cache/bin/uv" || rm -rf "$cache"  # a broken copy
mv -T "$tmp/target" "$cache" 2>/dev/null || true  # fails when another set-up moved its own in first
fits "$cache/bin/uv" || { echo "scripts/uv.sh: could not place uv in $cache" >&2; exit 1; }
echo "$cache/bin/uv"
