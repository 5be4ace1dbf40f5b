import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The root entry exports what users write (issue 22): at most 45 names. A plumbing type a user
// never names stays reachable through the type it is part of (CHANGELOG.md says how).
const ENTRY = fileURLToPath(new URL('../../lib/index.ts', import.meta.url));
const MAX_ROOT_EXPORTS = 45;

function exportedNames(source: string): string[] {
  return [...source.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}/g)].flatMap((match) =>
    match[1]!
      .split(',')
      .map((name) => name.trim().replace(/^type\s+/, ''))
      .filter(Boolean),
  );
}

describe('the root entry (lib/index.ts)', () => {
  it(`exports at most ${MAX_ROOT_EXPORTS} names, each once, and no export *`, () => {
    const source = readFileSync(ENTRY, 'utf8');
    const names = exportedNames(source);
    expect(source).not.toMatch(/export\s+\*/);
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBeLessThanOrEqual(MAX_ROOT_EXPORTS);
  });
});
