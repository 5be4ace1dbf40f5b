import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type BuildOptions } from 'esbuild';
import type { Section, TargetCheck } from './report.js';
import { fmt, fmtBytes } from './stats.js';

/**
 * Bundle size: what each client adds to a browser bundle, minified (esbuild) and gzipped
 * (zlib level 9). Ours with rxjs external (an Angular app ships rxjs anyway) and with rxjs
 * bundled, tree-shaken to what the library uses.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TARGET_BYTES = 4 * 1024;

interface Entry {
  readonly name: string;
  /** A file to bundle, or the contents of a virtual entry module. */
  readonly entry: { readonly file: string } | { readonly contents: string };
  readonly external: readonly string[];
  readonly ours?: 'root' | 'typical';
}

const ENTRIES: readonly Entry[] = [
  { name: 'rx-token-http, root entry (lib/index.ts), rxjs external', entry: { file: 'lib/index.ts' }, external: ['rxjs'], ours: 'root' },
  { name: 'rx-token-http, root entry, rxjs bundled (tree-shaken)', entry: { file: 'lib/index.ts' }, external: [] },
  {
    name: 'rx-token-http, typical import (client + session + grant + errors), rxjs external',
    entry: {
      contents:
        "export { createHttpClient, createTokenSession, oauth2RefreshGrant, TokenRevokedError, HttpError } from './lib/index.ts';",
    },
    external: ['rxjs'],
    ours: 'typical',
  },
  {
    name: 'rx-token-http, typical import, rxjs bundled (tree-shaken)',
    entry: {
      contents:
        "export { createHttpClient, createTokenSession, oauth2RefreshGrant, TokenRevokedError, HttpError } from './lib/index.ts';",
    },
    external: [],
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
  readonly ours?: 'root' | 'typical';
  /** Minified bytes each input file contributes (esbuild metafile), largest first. */
  readonly inputs: readonly { readonly file: string; readonly bytes: number }[];
}

export interface BundleResult {
  readonly rows: readonly BundleRow[];
  readonly section: Section;
}

export async function measureBundle(entry: Entry): Promise<BundleRow> {
  const options: BuildOptions = {
    bundle: true,
    minify: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    external: [...entry.external],
    logLevel: 'silent',
    absWorkingDir: ROOT,
    metafile: true,
  };
  const result =
    'file' in entry.entry
      ? await build({ ...options, entryPoints: [entry.entry.file] })
      : await build({ ...options, stdin: { contents: entry.entry.contents, resolveDir: ROOT, loader: 'ts', sourcefile: 'entry.ts' } });
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

function toSection(rows: readonly BundleRow[]): Section {
  const ky = rows.find((r) => r.name === 'ky');
  const axios = rows.find((r) => r.name.startsWith('axios'));
  const root = rows.find((r) => r.ours === 'root');
  const ratio = (r: BundleRow, to: BundleRow | undefined) => (to ? fmt(r.gzipped / to.gzipped, 2) : '–');
  const targets: TargetCheck[] = root
    ? [
        {
          name: 'bundle: root entry under 4 KB gzipped without rxjs',
          met: root.gzipped < TARGET_BYTES,
          detail: `${fmt(root.gzipped)} B gzipped (${fmt(root.minified)} B minified); target < ${fmt(TARGET_BYTES)} B`,
        },
      ]
    : [];
  const missed = root && root.gzipped >= TARGET_BYTES;
  const appendix = root
    ? [
        `### What the root entry is made of${missed ? ' (target missed)' : ''}`,
        '',
        `Minified bytes per source file in the root entry (esbuild metafile; gzip works on the whole file, so shares of the minified size are the fair guide). ${fmt(root.inputs.length)} files, ${fmt(root.minified)} B minified in all.`,
        '',
        '| file | minified bytes | share |',
        '| --- | --- | --- |',
        ...root.inputs.slice(0, 15).map((i) => `| ${i.file} | ${fmt(i.bytes)} | ${((i.bytes / root.minified) * 100).toFixed(1)}% |`),
      ].join('\n')
    : undefined;
  const missSummary =
    root && missed
      ? `Bundle size (${fmt(root.gzipped)} B gzipped, target < ${fmt(TARGET_BYTES)} B): of ${fmt(root.minified)} B minified, ${root.inputs
          .slice(0, 4)
          .map((i) => `${i.file} ${((i.bytes / root.minified) * 100).toFixed(0)}%`)
          .join(', ')}; the typical import (client, session, grant, two errors) is ${fmt(rows.find((r) => r.ours === 'typical')?.gzipped ?? 0)} B, so tree-shaking does not help: the session and client carry the weight.`
      : undefined;
  return {
    ...(appendix ? { appendix } : {}),
    ...(missSummary ? { missSummary } : {}),
    id: 'bundle',
    title: 'Bundle size (esbuild, minified, gzip -9)',
    headers: ['bundle', 'minified', 'gzipped', 'gzipped ÷ ky', 'gzipped ÷ axios + axios-auth-refresh'],
    rows: rows.map((r) => [r.name, `${fmt(r.minified)} B`, `${fmt(r.gzipped)} B`, ratio(r, ky), ratio(r, axios)]),
    notes: [
      "esbuild JS API: `bundle: true, minify: true, format: 'esm', platform: 'browser', target: 'es2022'`, then node:zlib gzip level 9. The root entry exports everything; the typical import is what an app with one client and one session uses. ky and axios are their browser builds as esbuild resolves them (axios via its `browser` field). Sizes are deterministic: one build each.",
    ],
    targets,
  };
}
