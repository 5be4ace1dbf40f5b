import { mkdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import type * as Lib from '../lib/index.js';

/**
 * The library the benchmarks measure. By default `lib/index.ts` compiled by esbuild to plain
 * ES2022 (rxjs external), as a user's bundler or `tsc` would emit it: under tsx every closure the
 * library creates is wrapped in esbuild's `__name` helper (`keepNames`), a cost the published
 * package does not have and the peers (plain JS in node_modules) do not pay. `--lib=source`
 * measures the TypeScript sources through tsx instead.
 */
export type RxTokenHttp = typeof Lib;

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT_DIR = fileURLToPath(new URL('../node_modules/.cache/rx-token-http-bench/', import.meta.url));
/** The compiled library (with a linked source map, which the profiler uses to name lines). */
export const BUILT_FILE = `${OUT_DIR}index.mjs`;

let loaded: { readonly lib: RxTokenHttp; readonly mode: 'built' | 'source' } | undefined;

export async function loadLib(mode: 'built' | 'source' = 'built'): Promise<RxTokenHttp> {
  if (mode === 'source') {
    loaded = { lib: await import('../lib/index.js'), mode };
    return loaded.lib;
  }
  mkdirSync(OUT_DIR, { recursive: true });
  await build({
    entryPoints: [fileURLToPath(new URL('../lib/index.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'es2022',
    packages: 'external',
    sourcemap: 'linked',
    outfile: BUILT_FILE,
    logLevel: 'warning',
  });
  // A fresh query string, so a second build in the same process is imported anew.
  loaded = { lib: (await import(`${pathToFileURL(BUILT_FILE).href}?t=${Date.now()}`)) as RxTokenHttp, mode };
  return loaded.lib;
}

/** The loaded library; {@link loadLib} must have run. */
export function lib(): RxTokenHttp {
  if (!loaded) throw new Error('bench: loadLib() has not run');
  return loaded.lib;
}

export function libMode(): 'built' | 'source' | 'not loaded' {
  return loaded?.mode ?? 'not loaded';
}
