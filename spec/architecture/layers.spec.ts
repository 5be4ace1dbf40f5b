import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/*
 * The layer check of issue 7: imports under lib/ only point down, there is no import cycle, and
 * the core imports none of the adapters. Driven by folder: a new folder must be placed here.
 *
 * Layers, bottom first. A folder may import its own layer and the layers below it; the folders
 * of the top layer (the adapters) may not import one another.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['util'],
  ['errors'],
  ['retry'],
  ['transport'],
  ['session'],
  ['oauth2'],
  ['auth'],
  ['request'],
  ['client', 'angular', 'testing', 'tabs', 'redis', 'dpop'],
];
/** Adapters the core (everything else, lib/index.ts included) must never import. */
const OPTIONAL = new Set(['angular', 'testing', 'tabs', 'redis', 'dpop']);
/** Public entries: lib/index.ts is the core's; each adapter's index.ts belongs to its folder. */
const ROOT_ENTRY = 'index.ts';

const LIB = resolve(dirname(fileURLToPath(import.meta.url)), '../../lib');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

// Static imports, re-exports and dynamic imports of relative paths (type-only ones count too:
// a type that points up is a dependency that points up).
function importsOf(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  const found = [...source.matchAll(/(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)|^import\s+['"](\.[^'"]+)['"]/gm)];
  return found.map((m) => resolve(dirname(file), (m[1] ?? m[2] ?? m[3]) as string).replace(/\.js$/, '.ts'));
}

const folderOf = (file: string): string => {
  const path = relative(LIB, file);
  return path.includes('/') ? (path.split('/')[0] as string) : '';
};
const rankOf = (folder: string): number => LAYERS.findIndex((layer) => layer.includes(folder));

const files = filesUnder(LIB);
const graph = new Map(files.map((file) => [file, importsOf(file)]));

describe('the layers of lib/', () => {
  it('places every folder of lib/ in a layer', () => {
    const unplaced = [...new Set(files.map(folderOf))].filter((folder) => folder !== '' && rankOf(folder) < 0);
    expect(unplaced, 'add these folders to LAYERS in spec/architecture/layers.spec.ts').toEqual([]);
  });

  it('imports only files that exist', () => {
    const missing = [...graph].flatMap(([file, targets]) => targets.filter((t) => !graph.has(t)).map((t) => `${relative(LIB, file)} -> ${relative(LIB, t)}`));
    expect(missing).toEqual([]);
  });

  it('points every import down (or within its layer), and keeps adapters apart', () => {
    const upward: string[] = [];
    for (const [file, targets] of graph) {
      const from = folderOf(file);
      for (const target of targets) {
        const to = folderOf(target);
        if (from === to || to === '') continue;
        const entry = from === '' && relative(LIB, file) === ROOT_ENTRY;
        const allowed = entry ? !OPTIONAL.has(to) : rankOf(to) < rankOf(from) || (rankOf(to) === rankOf(from) && rankOf(from) < LAYERS.length - 1);
        if (!allowed) upward.push(`${relative(LIB, file)} -> ${relative(LIB, target)}`);
      }
    }
    expect(upward).toEqual([]);
  });

  it('keeps the core free of angular, testing, tabs and redis', () => {
    const leaks = [...graph].flatMap(([file, targets]) =>
      OPTIONAL.has(folderOf(file)) ? [] : targets.filter((t) => OPTIONAL.has(folderOf(t))).map((t) => `${relative(LIB, file)} -> ${relative(LIB, t)}`),
    );
    expect(leaks).toEqual([]);
  });

  it('has no import cycle', () => {
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (file: string, path: string[]): void => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        cycles.push([...path.slice(path.indexOf(file)), file].map((f) => relative(LIB, f)).join(' -> '));
        return;
      }
      state.set(file, 'open');
      for (const target of graph.get(file) ?? []) if (graph.has(target)) visit(target, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of files) visit(file, []);
    expect(cycles).toEqual([]);
  });
});
