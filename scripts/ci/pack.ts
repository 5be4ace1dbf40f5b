// The package's entries and its tarball, as the CI checks (scripts/ci/check-package.ts) and the
// consumer specs (spec/package/) see them. The one list of entries is package.json `exports`.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const root = new URL('../..', import.meta.url).pathname;

/** One subpath export: `.`, `./testing`, … */
export interface PackageEntry {
  /** The specifier a consumer writes: `rx-token-http`, `rx-token-http/testing`. */
  readonly specifier: string;
  readonly subpath: string;
  readonly types: string;
  readonly js: string;
  /** The source file in lib/ that the build turns into `js`. */
  readonly source: string;
}

interface PackageJson {
  name: string;
  exports: Record<string, string | { types: string; default: string }>;
  typesVersions?: Record<string, Record<string, string[]>>;
  [key: string]: unknown;
}

const readPackageJson = (dir: string): PackageJson => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));

/**
 * Every code entry of `exports`. `pending` are those whose lib/ source is not written yet
 * (an entry declared ahead of the work that fills it): the checks leave them out and say so.
 */
export function packageEntries(dir = root): { ready: PackageEntry[]; pending: PackageEntry[] } {
  const pkg = readPackageJson(dir);
  const all: PackageEntry[] = [];
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    if (typeof target === 'string') continue; // ./package.json
    const source = target.default.replace(/^\.\/dist\//, 'lib/').replace(/\.js$/, '.ts');
    const specifier = subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`;
    all.push({ specifier, subpath, types: target.types, js: target.default, source });
  }
  return {
    ready: all.filter((entry) => existsSync(join(dir, entry.source))),
    pending: all.filter((entry) => !existsSync(join(dir, entry.source))),
  };
}

/**
 * A copy of the repository's files as a fresh clone has them (tracked and new files, nothing
 * ignored: no dist/), with this repository's node_modules linked in: what `npm pack` or
 * `npm publish` sees on a clean checkout. Uncommitted edits are in it, so specs check the tree
 * being worked on.
 */
export function freshTree(destination: string, dir = root): string {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: dir, encoding: 'utf8' });
  for (const file of listed.split('\0')) {
    if (file === '' || !existsSync(join(dir, file))) continue; // deleted, not yet committed
    mkdirSync(dirname(join(destination, file)), { recursive: true });
    copyFileSync(join(dir, file), join(destination, file));
  }
  symlinkSync(join(dir, 'node_modules'), join(destination, 'node_modules'), 'dir');
  return destination;
}

/**
 * `npm pack`s the package into `destination` and returns the tarball's path and file list.
 * With pending entries, the tarball is packed again from a copy of the package whose
 * package.json leaves them out, so publint, attw and the consumers check what exists.
 */
export function packTarball(destination: string, dir = root): { tarball: string; files: string[]; pending: PackageEntry[] } {
  mkdirSync(destination, { recursive: true });
  // From a fresh clone's tree, with npm's scripts: `prepack` builds dist/ as it would for a publish.
  const pack = (from: string, scripts = true): { tarball: string; files: string[] } => {
    const out = execFileSync('npm', ['pack', '--json', ...(scripts ? [] : ['--ignore-scripts']), '--pack-destination', destination], {
      cwd: from,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const [info] = JSON.parse(out) as [{ filename: string; files: { path: string }[] }];
    return { tarball: join(destination, info.filename), files: info.files.map((file) => file.path) };
  };
  const { pending } = packageEntries(dir);
  const packed = pack(freshTree(join(destination, 'tree'), dir));
  if (pending.length === 0) return { ...packed, pending };

  const staged = join(destination, 'staged');
  mkdirSync(staged, { recursive: true });
  execFileSync('tar', ['-xzf', packed.tarball, '-C', staged, '--strip-components=1']);
  const pkg = readPackageJson(staged);
  for (const entry of pending) {
    delete pkg.exports[entry.subpath];
    const versions = pkg.typesVersions?.['*'];
    if (versions) delete versions[entry.subpath.slice(2)];
  }
  writeFileSync(join(staged, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
  return { ...pack(staged, false), pending };
}
