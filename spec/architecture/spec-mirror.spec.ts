import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/*
 * Specs mirror lib/ (issue 22): what proves lib/x/y.ts is in spec/x/y.spec.ts, so a reader finds
 * it by the file's name. Scenarios that cross many files (fleets, tabs, property tests) live in
 * spec/e2e/, spec/redis/ and spec/tabs/ besides; they do not count as a file's spec.
 *
 * Every lib file with behaviour needs its spec, except the gaps listed below: a new file without
 * a spec fails here, and the gap closes by writing the spec and taking the file off the list
 * (a listed file that has a spec now, or is gone, fails too, so the list only shrinks).
 *
 * Not checked: the public entries (index.ts) and files with no behaviour (type-only: nothing left
 * once compiled to JavaScript). Folders not checked yet (the list only shrinks): none since the
 * request path's client/ got its specs.
 */
const NOT_YET_CHECKED: readonly string[] = [];

/** Lib files with behaviour and no spec of their name yet (paths under lib/). */
const SPEC_GAPS: readonly string[] = [
];

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const LIB = join(ROOT, 'lib');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

// What is left of the file as JavaScript, its imports and the empty `export {}` aside.
function hasBehaviour(file: string): boolean {
  const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, removeComments: true },
  });
  return outputText.split('\n').some((line) => {
    const code = line.trim();
    return code !== '' && code !== 'export {};' && !code.startsWith('import ') && !code.startsWith('//');
  });
}

const libFiles = filesUnder(LIB).map((file) => relative(LIB, file).split('\\').join('/'));
const checked = libFiles.filter((path) => {
  const name = path.split('/').pop() as string;
  return name !== 'index.ts' && !NOT_YET_CHECKED.includes(path.split('/')[0] as string) && hasBehaviour(join(LIB, path));
});
const hasSpec = (path: string): boolean => existsSync(join(ROOT, 'spec', path.replace(/\.ts$/, '.spec.ts')));

describe('the specs mirror lib/', () => {
  it('gives every lib file with behaviour a spec/<same path>.spec.ts, except the listed gaps', () => {
    const missing = checked.filter((path) => !hasSpec(path) && !SPEC_GAPS.includes(path));
    expect(missing, 'write spec/<same path>.spec.ts for these lib files').toEqual([]);
  });

  it('lists as gaps only files that exist, have behaviour and still have no spec', () => {
    const stale = SPEC_GAPS.filter((path) => !checked.includes(path) || hasSpec(path));
    expect(stale, 'take these off SPEC_GAPS in spec/architecture/spec-mirror.spec.ts').toEqual([]);
  });
});
