#!/usr/bin/env bash
# Installs Node 22 from the npm registry (the `node` package ships the binary) into
# .ci/node22/, for what must run on Node 22: the Angular specs against the current Angular
# major (its packages need Node 22.22+), and one run of the core suite, since `engines` claims
# Node 20.19 and later. Idempotent: does nothing when .ci/node22 has a v22 binary.
# .ci/run calls every scripts/ci/setup-*.sh; scripts/ci/node22.sh prints the binary's path.
set -euo pipefail
dir="$(cd "$(dirname "$0")/../.." && pwd)/.ci/node22"
binary="$dir/node_modules/.bin/node"
if [ -x "$binary" ] && [[ "$("$binary" --version)" == v22.* ]]; then
  echo "node22: $("$binary" --version)"
  exit 0
fi
mkdir -p "$dir"
echo '{ "name": "ci-node22", "private": true }' >"$dir/package.json"
(cd "$dir" && npm install --no-audit --no-fund --no-package-lock --loglevel=error node@22)
echo "node22: $("$binary" --version)"
