import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { TYPICAL_IMPORT } from '../../bench/bundle-budget.js';

/**
 * An app whose sessions share nothing pays no bytes for the sharing protocol: the store code
 * comes with `share` (shareStore, shareInMemory, the tabs and Redis entries), never with the
 * session itself. A bundler keeps only the files a bundle reaches; this asks esbuild which.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const STORE_FILES = ['lib/session/sharing/store-sync.ts', 'lib/session/sharing/locked-refresh.ts', 'lib/session/sharing/store-publisher.ts', 'lib/session/sharing/store-access.ts'];

async function filesIn(contents: string): Promise<string[]> {
  const result = await build({
    stdin: { contents, resolveDir: ROOT, loader: 'ts', sourcefile: 'entry.ts' },
    bundle: true,
    minify: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    external: ['rxjs'],
    metafile: true,
    logLevel: 'silent',
    absWorkingDir: ROOT,
  });
  const output = Object.values(result.metafile.outputs)[0];
  return Object.entries(output?.inputs ?? {})
    .filter(([, input]) => input.bytesInOutput > 0)
    .map(([file]) => file);
}

describe('what a bundle of the library holds', () => {
  it('leaves the sharing protocol out of the typical import (client, session, grant, errors)', async () => {
    const files = await filesIn(TYPICAL_IMPORT);
    expect(files).toContain('lib/session/create-token-session.ts');
    expect(files.filter((file) => STORE_FILES.includes(file))).toEqual([]);
  });

  it('brings it in with shareInMemory', async () => {
    const files = await filesIn(`${TYPICAL_IMPORT}\nexport { shareInMemory } from './lib/index.ts';`);
    expect(STORE_FILES.filter((file) => !files.includes(file))).toEqual([]);
  });
});
