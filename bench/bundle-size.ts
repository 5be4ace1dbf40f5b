import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type BuildOptions } from 'esbuild';
import { TYPICAL_IMPORT, TYPICAL_IMPORT_BUDGET_BYTES } from './bundle-budget.js';
import type { Section, TargetCheck } from './report.js';
import { fmt, fmtBytes } from './stats.js';

/**
 * Bundle size: what each client adds to a browser bundle, minified (esbuild) and gzipped
 * (zlib level 9). Ours with rxjs external (an Angular app ships rxjs anyway) and with rxjs
 * bundled, tree-shaken to what the library uses.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
interface Entry {
  readonly name: string;
  /** A file to bundle, or the contents of a virtual entry module. */
  readonly entry: { readonly file: string } | { readonly contents: string };
  readonly external: readonly string[];
  readonly ours?: 'root' | 'typical' | 'typical-rxjs';
}

const ENTRIES: readonly Entry[] = [
  { name: 'rx-token-http, root entry (lib/index.ts), rxjs external', entry: { file: 'lib/index.ts' }, external: ['rxjs'], ours: 'root' },
  { name: 'rx-token-http, root entry, rxjs bundled (tree-shaken)', entry: { file: 'lib/index.ts' }, external: [] },
  {
    name: 'rx-token-http, typical import (client + session + grant + errors), rxjs external',
    entry: { contents: TYPICAL_IMPORT },
    external: ['rxjs'],
    ours: 'typical',
  },
  {
    name: 'rx-token-http, typical import, rxjs bundled (tree-shaken)',
    entry: { contents: TYPICAL_IMPORT },
    external: [],
    ours: 'typical-rxjs',
  },
  { name: 'ky', entry: { contents: "export { default } from 'ky';" }, external: [] },
  {
    name: 'axios + axios-auth-refresh',
    entry: { contents: "export { default as axios } from 'axios';\nexport { createAuthRefresh } from 'axios-auth-refresh';" },
    external: [],
  },
];

export interface BundleRow {
  readonly name: string;
  readonly minified: number;
  readonly gzipped: number;
  readonly ours?: 'root' | 'typical' | 'typical-rxjs';
  /** Minified bytes each input file contributes (esbuild metafile), largest first. */
  readonly inputs: readonly { readonly file: string; readonly bytes: number }[];
}

export interface BundleResult {
  readonly rows: readonly BundleRow[];
  readonly section: Section;
}

/** Bundles `entry` as a browser app would; `root` is the tree to resolve it in (this checkout by default). */
export async function measureBundle(entry: Entry, root = ROOT): Promise<BundleRow> {
  const options: BuildOptions = {
    bundle: true,
    minify: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    external: [...entry.external],
    logLevel: 'silent',
    absWorkingDir: root,
    metafile: true,
  };
  const result =
    'file' in entry.entry
      ? await build({ ...options, entryPoints: [entry.entry.file] })
      : await build({ ...options, stdin: { contents: entry.entry.contents, resolveDir: root, loader: 'ts', sourcefile: 'entry.ts' } });
  const code = result.outputFiles?.[0]?.contents ?? new Uint8Array();
  const output = Object.values(result.metafile?.outputs ?? {})[0];
  const inputs = Object.entries(output?.inputs ?? {})
    .map(([file, info]) => ({ file, bytes: info.bytesInOutput }))
    .sort((a, b) => b.bytes - a.bytes);
  return {
    name: entry.name,
    minified: code.byteLength,
    gzipped: gzipSync(code, { level: 9 }).byteLength,
    inputs,
    ...(entry.ours ? { ours: entry.ours } : {}),
  };
}

export async function runBundle(options: { log: (line: string) => void }): Promise<BundleResult> {
  const rows: BundleRow[] = [];
  for (const entry of ENTRIES) {
    const row = await measureBundle(entry);
    rows.push(row);
    options.log(`  ${row.name.padEnd(84)} ${fmtBytes(row.gzipped)} gzipped`);
  }
  return { rows, section: toSection(rows) };
}

/** The rxjs modules a bundle pulls in (operators, observables, schedulers), from its metafile. */
export function rxjsModules(row: BundleRow): string[] {
  return row.inputs
    .filter((i) => i.file.includes('node_modules/rxjs/') && /\/internal\/(operators|observable|scheduler)\//.test(i.file) && i.bytes > 0)
    .map((i) => i.file.replace(/^.*\/internal\//, '').replace(/\.js$/, ''))
    .filter((name) => !name.endsWith('OperatorSubscriber') && !name.endsWith('innerFrom'))
    .sort();
}

function toSection(rows: readonly BundleRow[]): Section {
  const ky = rows.find((r) => r.name === 'ky');
  const axios = rows.find((r) => r.name.startsWith('axios'));
  const typical = rows.find((r) => r.ours === 'typical');
  const withRxjs = rows.find((r) => r.ours === 'typical-rxjs');
  const ratio = (r: BundleRow, to: BundleRow | undefined) => (to ? fmt(r.gzipped / to.gzipped, 2) : '–');
  const targets: TargetCheck[] = typical
    ? [
        {
          name: "bundle: typical import under ky's size, gzipped without rxjs",
          met: ky !== undefined && typical.gzipped < ky.gzipped,
          detail: `${fmt(typical.gzipped)} B gzipped (${fmt(typical.minified)} B minified); ky ${fmt(ky?.gzipped ?? 0)} B in the same run`,
        },
        {
          name: 'bundle: typical import within its CI budget (bench/bundle-budget.ts)',
          met: typical.gzipped <= TYPICAL_IMPORT_BUDGET_BYTES,
          detail: `${fmt(typical.gzipped)} B of ${fmt(TYPICAL_IMPORT_BUDGET_BYTES)} B`,
        },
      ]
    : [];
  const missed = typical && ky && typical.gzipped >= ky.gzipped;
  const byArea = typical ? areaShares(typical) : [];
  const appendix = typical
    ? [
        `### What the typical import is made of${missed ? ' (target missed)' : ''}`,
        '',
        `Minified bytes per source folder and file of the typical import (esbuild metafile; gzip works on the whole file, so shares of the minified size are the fair guide). ${fmt(typical.inputs.length)} files, ${fmt(typical.minified)} B minified in all. By folder: ${byArea.map((a) => `${a.area} ${fmt(a.bytes)} B (${((a.bytes / typical.minified) * 100).toFixed(0)}%)`).join(', ')}.`,
        '',
        '| file | minified bytes | share |',
        '| --- | --- | --- |',
        ...typical.inputs.filter((i) => i.bytes > 0).map((i) => `| ${i.file} | ${fmt(i.bytes)} | ${((i.bytes / typical.minified) * 100).toFixed(1)}% |`),
        '',
        ...(withRxjs ? [`rxjs modules the typical import pulls in (operators, observables, schedulers; tree-shaken build): ${rxjsModules(withRxjs).map((m) => `\`${m}\``).join(', ')}.`] : []),
      ].join('\n')
    : undefined;
  const missSummary =
    typical && missed
      ? `Bundle size (typical import ${fmt(typical.gzipped)} B gzipped, ky ${fmt(ky?.gzipped ?? 0)} B): of ${fmt(typical.minified)} B minified, ${byArea
          .slice(0, 4)
          .map((a) => `${a.area} ${((a.bytes / typical.minified) * 100).toFixed(0)}%`)
          .join(', ')}. See "What the typical import is made of".`
      : undefined;
  return {
    ...(appendix ? { appendix } : {}),
    ...(missSummary ? { missSummary } : {}),
    id: 'bundle',
    title: 'Bundle size (esbuild, minified, gzip -9)',
    headers: ['bundle', 'minified', 'gzipped', 'gzipped ÷ ky', 'gzipped ÷ axios + axios-auth-refresh'],
    rows: rows.map((r) => [r.name, `${fmt(r.minified)} B`, `${fmt(r.gzipped)} B`, ratio(r, ky), ratio(r, axios)]),
    notes: [
      "esbuild JS API: `bundle: true, minify: true, format: 'esm', platform: 'browser', target: 'es2022'`, then node:zlib gzip level 9. The root entry exports everything; the typical import (bench/bundle-budget.ts) is what an app with one client and one session uses: `createHttpClient`, `createTokenSession`, `oauth2RefreshGrant` and the five error classes. ky and axios are their browser builds as esbuild resolves them (axios via its `browser` field). Sizes are deterministic: one build each.",
      `CI (scripts/ci/check-bundle-budget.ts, a step of .ci/run) fails when the typical import grows past ${fmt(TYPICAL_IMPORT_BUDGET_BYTES)} B gzipped.`,
    ],
    targets,
  };
}

/** Minified bytes per lib/ folder (session, client, ...), largest first. */
function areaShares(row: BundleRow): { area: string; bytes: number }[] {
  const areas = new Map<string, number>();
  for (const i of row.inputs) {
    const area = /^lib\/([^/]+)\//.exec(i.file)?.[1];
    if (area) areas.set(`lib/${area}`, (areas.get(`lib/${area}`) ?? 0) + i.bytes);
  }
  return [...areas].map(([area, bytes]) => ({ area, bytes })).sort((a, b) => b.bytes - a.bytes);
}
