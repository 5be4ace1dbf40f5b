// CI: what npm would publish. Packs the tarball once, then checks its file list, that
// `typesVersions` (for TypeScript's legacy node10 resolution) names every subpath export,
// and runs publint and @arethetypeswrong/cli on it. Exits non-zero on any problem.
//
// attw runs with one rule ignored, cjs-resolves-to-esm ("ESM (dynamic import only)"): the
// package is ESM only and CommonJS consumers load it with require(esm) (Node 20.19+,
// TypeScript 5.8+ under `module: nodenext`). attw 0.18 resolves with TypeScript 5.6, which
// predates require(esm). spec/package/consumers.spec.ts proves the require() path for real.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageEntries, packTarball, root } from './pack.js';

const problems: string[] = [];
const destination = mkdtempSync(join(tmpdir(), 'rx-token-http-pack-'));
try {
  const { ready } = packageEntries();
  const { tarball, files, pending } = packTarball(destination);
  for (const entry of pending) {
    console.warn(`check-package: ${entry.specifier} is in exports but ${entry.source} does not exist yet: left out of these checks`);
  }

  // Only what consumers need: the build, its sources (for the maps), the docs.
  const allowed = /^(dist\/.+\.(js|d\.ts|js\.map|d\.ts\.map)|lib\/.+\.ts|docs\/.+\.md|README\.md|CHANGELOG\.md|LICENSE|package\.json)$/;
  const unexpected = files.filter((file) => !allowed.test(file) || /\.spec\.ts$/.test(file));
  if (unexpected.length > 0) problems.push(`unexpected files in the tarball: ${unexpected.join(', ')}`);
  for (const required of ['LICENSE', 'README.md', 'package.json', ...ready.flatMap((entry) => [entry.js, entry.types])]) {
    if (!files.includes(required.replace(/^\.\//, ''))) problems.push(`${required} is missing from the tarball`);
  }

  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  for (const entry of ready.filter((entry) => entry.subpath !== '.')) {
    const mapped = pkg.typesVersions?.['*']?.[entry.subpath.slice(2)];
    if (JSON.stringify(mapped) !== JSON.stringify([entry.types])) {
      problems.push(`typesVersions["*"]["${entry.subpath.slice(2)}"] should be ["${entry.types}"] (TypeScript's node10 resolution reads it)`);
    }
  }

  const run = (name: string, args: string[]): void => {
    console.log(`\n$ ${name} ${args.join(' ')}`);
    try {
      execFileSync(join(root, 'node_modules/.bin', name), args, { cwd: root, stdio: 'inherit' });
    } catch {
      problems.push(`${name} failed`);
    }
  };
  run('publint', ['run', tarball, '--strict']);
  run('attw', [tarball, '--ignore-rules', 'cjs-resolves-to-esm']);
} catch (error) {
  problems.push(String(error instanceof Error ? error.stack : error));
} finally {
  rmSync(destination, { recursive: true, force: true });
}

if (problems.length > 0) {
  for (const problem of problems) console.error(`check-package: ${problem}`);
  process.exit(1);
}
console.log('check-package: ok');
