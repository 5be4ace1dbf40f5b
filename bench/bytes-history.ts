/**
 * Where the typical import's bytes came from: its gzipped size after each first-parent commit
 * of HEAD since `<from>`, with the change each commit made, measured as the bundle-size report
 * and the CI budget measure it (bench/bundle-budget.ts). Commits that leave it as it was are not
 * listed; a tree that does not build reads "-".
 *   npx tsx bench/bytes-history.ts <from> [import line]
 * The import line defaults to today's typical import; an older tree may lack some of its names.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TYPICAL_IMPORT } from './bundle-budget.js';
import { measureBundle } from './bundle-size.js';

const [from, contents = TYPICAL_IMPORT] = process.argv.slice(2);
if (!from) {
  console.error('usage: npx tsx bench/bytes-history.ts <from-commit> [import line]');
  process.exit(2);
}

const git = (...args: string[]): string => execFileSync('git', args, { encoding: 'utf8' }).trim();
try {
  git('rev-parse', '--verify', '--quiet', `${from}^{commit}`);
} catch {
  console.error(`bytes-history: ${JSON.stringify(from)} is not a commit of this repository`);
  process.exit(2);
}
// Trees repeat across commits (merges, docs-only commits): each lib/ tree is measured once.
const byTree = new Map<string, number | undefined>();

async function gzippedAt(commit: string): Promise<number | undefined> {
  const tree = git('rev-parse', `${commit}:lib`);
  if (byTree.has(tree)) return byTree.get(tree);
  const dir = mkdtempSync(join(tmpdir(), 'bytes-history-'));
  let size: number | undefined;
  try {
    // package.json for its `sideEffects`, tsconfig.json for how esbuild emits class fields.
    execFileSync('git', ['archive', '--output', join(dir, 'tree.tar'), commit, 'lib', 'package.json', 'tsconfig.json']);
    execFileSync('tar', ['-x', '-f', 'tree.tar'], { cwd: dir });
    size = (await measureBundle({ name: commit, entry: { contents }, external: ['rxjs'] }, dir)).gzipped;
  } catch {
    size = undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  byTree.set(tree, size);
  return size;
}

const show = (n: number | undefined): string => (n === undefined ? '-' : String(n)).padStart(6);
console.log(`${'gzipped'.padStart(7)} ${'change'.padStart(6)}  commit`);
console.log(`${show(await gzippedAt(from))} ${''.padStart(6)}  ${git('log', '-1', '--format=%h %s', from)}`);
for (const line of git('log', '--reverse', '--first-parent', '--format=%h %s', `${from}..HEAD`).split('\n')) {
  const commit = line.slice(0, line.indexOf(' '));
  const [before, after] = [await gzippedAt(`${commit}^1`), await gzippedAt(commit)];
  if (before === after) continue;
  const change = before === undefined || after === undefined ? '' : `${after > before ? '+' : ''}${after - before}`;
  console.log(`${show(after)} ${change.padStart(6)}  ${line.slice(0, 120)}`);
}
