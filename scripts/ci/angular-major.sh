#!/usr/bin/env bash
# Runs the Angular specs (spec/angular/*.spec.ts, whatever they contain) against one Angular
# major, installed into a temporary folder: by default the oldest that package.json's peer
# range claims; .ci/run also runs the current one (22) on Node 22 (NODE=.ci/node22/...).
#
# How: the Angular packages (and the rxjs/zone.js/tslib they bring) are installed from the
# registry into $work/deps; a temporary copy of lib/ and spec/ gets a node_modules whose entries
# point at those packages first and at the repository's node_modules for everything else
# (vitest, happy-dom, msw...). Vite resolves bare imports from each file's real path, so lib/
# and the specs see the old Angular and one rxjs.
#
# Usage: [NODE=/path/to/node] scripts/ci/angular-major.sh [major] [vitest options...]
#   major: default the floor of the @angular/core peer range; NODE: the node that runs vitest.
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"

major=${1:-$(node -p 'require("./package.json").peerDependencies["@angular/core"].match(/\d+/)[0]')}
work=$(mktemp -d "${TMPDIR:-/tmp}/rx-token-http-angular$major.XXXXXX")
run_node=${NODE:-node}
trap 'rm -rf "$work"' EXIT

echo "angular-major: Angular $major in $work"
mkdir -p "$work/deps" "$work/copy/node_modules"
cat >"$work/deps/package.json" <<JSON
{ "name": "angular-major-deps", "private": true }
JSON
(
  cd "$work/deps" &&
    npm install --no-audit --no-fund --no-package-lock --loglevel=error \
      "@angular/core@$major" "@angular/common@$major" "@angular/compiler@$major" \
      "@angular/platform-browser@$major" "@angular/platform-browser-dynamic@$major" \
      "@angular/platform-server@$major"
) || { echo "angular-major: npm install of Angular $major failed" >&2; exit 1; }

# node_modules of the copy: the old Angular's install first, the repository's for the rest.
link_all() { # $1 = a node_modules folder; links its packages into the copy's, first one wins
  local entry name
  for entry in "$1"/[!@.]* "$1"/@*/*; do
    [ -e "$entry" ] || continue
    name=${entry#"$1"/}
    [ -e "$work/copy/node_modules/$name" ] && continue
    mkdir -p "$(dirname "$work/copy/node_modules/$name")"
    ln -s "$entry" "$work/copy/node_modules/$name"
  done
}
link_all "$work/deps/node_modules"
link_all "$repo/node_modules"

cp -R lib spec package.json tsconfig.json vitest.config.ts "$work/copy/"
cd "$work/copy" || exit 1
installed=$(node -p 'require("@angular/core/package.json").version')

# The specs set TestBed up the Angular 20+ way. Before 20, two names differ; only the test
# environment is adapted, by re-exporting Angular's own modules with those names added, and
# lib/ runs unchanged:
# - provideZonelessChangeDetection() was provideExperimentalZonelessChangeDetection() (18, 19),
#   ɵprovideZonelessChangeDetection() (17.1+);
# - platformBrowserTesting()/BrowserTestingModule could not compile components (no
#   COMPILER_OPTIONS): platformBrowserDynamicTesting()/BrowserDynamicTestingModule did.
resolve() { node -p "require.resolve('$1')"; }
core=$(resolve @angular/core)
browser_testing=$(resolve @angular/platform-browser/testing)
dynamic_testing=$(resolve @angular/platform-browser-dynamic/testing)
cat >angular-core-compat.mjs <<JS
import * as core from '$core';
export * from '$core';
export const provideZonelessChangeDetection =
  core.provideZonelessChangeDetection ??
  core.provideExperimentalZonelessChangeDetection ??
  core.\u0275provideZonelessChangeDetection;
JS
cat >angular-browser-testing-compat.mjs <<JS
export * from '$browser_testing';
export {
  platformBrowserDynamicTesting as platformBrowserTesting,
  BrowserDynamicTestingModule as BrowserTestingModule,
} from '$dynamic_testing';
JS
cat >vitest.major.config.ts <<TS
import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.ts';

export default mergeConfig(
  base,
  defineConfig({
    resolve: {
      alias: [
        { find: /^@angular\/core\$/, replacement: '$work/copy/angular-core-compat.mjs' },
        { find: /^@angular\/platform-browser\/testing\$/, replacement: '$work/copy/angular-browser-testing-compat.mjs' },
      ],
    },
  }),
);
TS
if [ "${installed%%.*}" -ge 20 ]; then
  cp vitest.config.ts vitest.major.config.ts # nothing to adapt
fi

echo "angular-major: running spec/angular against @angular/core $installed on node $("$run_node" --version)"
"$run_node" "$repo/node_modules/vitest/vitest.mjs" run --config vitest.major.config.ts spec/angular "${@:2}"
