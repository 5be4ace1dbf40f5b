// The protocol's rules live in the package (issue 22): docs/how-refresh-works.md defines every
// rule with an anchor, lib/ cites "rule N" of that page and nothing the package does not ship,
// and no doc links outside the package.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const RULES_PAGE = 'docs/how-refresh-works.md';
const RULE_COUNT = 18;

/*
 * Files allowed to cite "DESIGN rule N" for a while (a rewrite under way). None is left; the last
 * test fails on an entry that no longer needs its allowance.
 */
const STILL_CITING_DESIGN = new Set<string>([]);

/*
 * TEMPORARY: docs/benchmarks.md (not part of this change) names DESIGN.md in two places, as
 * text, not a link. Its next edit should say "the rules of how-refresh-works.md" instead.
 */
const DOCS_NAMING_DESIGN = new Set(['docs/benchmarks.md']);

const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

function filesUnder(dir: string, ext: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return filesUnder(path, ext);
    return entry.name.endsWith(ext) ? [path] : [];
  });
}

const libFiles = filesUnder('lib', '.ts');

/** Whether the tarball holds `path` (package.json `files`; npm always adds the manifest). */
const packageFiles: readonly string[] = [...(JSON.parse(read('package.json')) as { files: string[] }).files, 'package.json'];
const shipped = (path: string): boolean => packageFiles.some((entry) => path === entry || path.startsWith(`${entry}/`));
const docs = [...filesUnder('docs', '.md'), 'README.md', 'CHANGELOG.md'].filter((path) => existsSync(join(ROOT, path)));

/** The rule numbers a text cites: "rule 7", "Rule 18", "rules 1-3, 6, 13", "rules 1 and 3". */
function citedRules(text: string): number[] {
  const cited: number[] = [];
  for (const [, list] of text.matchAll(/\brules?\s+(\d+(?:\s*(?:-|–|,|and|or)\s*\d+)*)/gi)) {
    for (const part of list!.split(/\s*(?:,|and|or)\s*/)) {
      const [from, to] = part.split(/\s*[-–]\s*/).map(Number);
      for (let n = from!; n <= (to ?? from!); n++) cited.push(n);
    }
  }
  return cited;
}

/** The explicit anchors of a page (`<a id="rule-7"></a>`). */
function explicitAnchors(path: string): Set<string> {
  return new Set([...read(path).matchAll(/<a id="([^"]+)"><\/a>/g)].map((match) => match[1]!));
}

/** Every Markdown link target of a page outside code fences, and the line it is on. */
function linksOf(path: string): { readonly target: string; readonly line: number }[] {
  const links: { target: string; line: number }[] = [];
  let fenced = false;
  read(path)
    .split('\n')
    .forEach((text, index) => {
      if (/^\s*```/.test(text)) fenced = !fenced;
      if (fenced) return;
      for (const [, target] of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) links.push({ target: target!, line: index + 1 });
      for (const [, target] of text.matchAll(/\bhref="([^"]+)"/g)) links.push({ target: target!, line: index + 1 });
    });
  return links;
}

describe('citedRules', () => {
  it('reads single rules, lists and ranges', () => {
    expect(citedRules('rule 7; Rule 18 and (rules 1-3, 6, 13) or rules 2 and 4')).toEqual([7, 18, 1, 2, 3, 6, 13, 2, 4]);
  });
});

describe(`${RULES_PAGE}`, () => {
  it(`defines rules 1 to ${RULE_COUNT}, in order, each with its anchor`, () => {
    const ids = [...explicitAnchors(RULES_PAGE)].filter((id) => id.startsWith('rule-'));
    expect(ids).toEqual(Array.from({ length: RULE_COUNT }, (_, i) => `rule-${i + 1}`));
    const headings = read(RULES_PAGE).match(/^### \d+\. /gm) ?? [];
    expect(headings.map((heading) => Number(/\d+/.exec(heading)![0]))).toEqual(Array.from({ length: RULE_COUNT }, (_, i) => i + 1));
  });

  it('has the rules for shared sessions', () => {
    expect(read(RULES_PAGE)).toMatch(/^## Beyond one tab and one process$/m);
  });
});

describe('lib/ cites the rules of the page it ships', () => {
  const defined = new Set([...explicitAnchors(RULES_PAGE)].filter((id) => id.startsWith('rule-')).map((id) => Number(id.slice('rule-'.length))));

  it(`cites only rules that ${RULES_PAGE} defines`, () => {
    const undefinedCitations = libFiles.flatMap((path) =>
      read(path)
        .split('\n')
        .flatMap((line, index) => citedRules(line).filter((n) => !defined.has(n)).map((n) => `${path}:${index + 1} rule ${n}`)),
    );
    expect(undefinedCitations).toEqual([]);
  });

  it('never cites DESIGN.md, which the package does not ship', () => {
    const design = libFiles.filter((path) => !STILL_CITING_DESIGN.has(path) && /\bDESIGN\b/.test(read(path)));
    expect(design, 'cite "rule N" (of docs/how-refresh-works.md) instead').toEqual([]);
  });

  it('keeps the temporary allowance to the files that still need it', () => {
    const stale = [...STILL_CITING_DESIGN].filter((path) => !existsSync(join(ROOT, path)) || !/\bDESIGN\b/.test(read(path)));
    expect(stale, 'remove these from STILL_CITING_DESIGN').toEqual([]);
  });
});

describe('the docs stay inside the package', () => {
  it('link only to files the package ships (package.json `files`), and to rules that exist', () => {
    const wrong = docs.flatMap((path) =>
      linksOf(path).flatMap(({ target, line }) => {
        if (/^(https?|mailto):/i.test(target)) return [];
        const where = `${path}:${line} ${target}`;
        if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('/')) return [`${where} (not a relative link)`];
        const [file, anchor] = target.split('#') as [string, string | undefined];
        const resolved = file === '' ? join(ROOT, path) : resolve(dirname(join(ROOT, path)), decodeURIComponent(file));
        const inside = relative(ROOT, resolved);
        if (inside.startsWith('..')) return [`${where} (outside the package)`];
        if (!existsSync(resolved)) return [`${where} (no such file)`];
        if (!shipped(inside.split('\\').join('/'))) return [`${where} (not in the package's files)`];
        if (anchor?.startsWith('rule-') && inside === RULES_PAGE && !explicitAnchors(RULES_PAGE).has(anchor)) return [`${where} (no such rule)`];
        return [];
      }),
    );
    expect(wrong).toEqual([]);
  });

  it('never cite DESIGN.md or "DESIGN rule N": the rules are in docs/how-refresh-works.md', () => {
    const design = docs.filter((path) => !DOCS_NAMING_DESIGN.has(path) && /\bDESIGN\b/.test(read(path)));
    expect(design).toEqual([]);
  });
});
