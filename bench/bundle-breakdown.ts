/**
 * Where the typical import's gzipped bytes go, per source file and per top-level declaration:
 * the bundle is built as bench/bundle-size.ts builds it (esbuild, minified, rxjs external) with
 * a source map; each output character is charged to the file and the declaration it came from.
 * "gz" is the marginal cost: the gzipped bundle minus the gzipped bundle without those
 * characters (gzip shares context, so the columns do not add up to the total exactly).
 *   npx tsx bench/bundle-breakdown.ts [top declarations, default 40]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { SourceMapConsumer, type RawSourceMap } from 'source-map-js';
import { TYPICAL_IMPORT } from './bundle-budget.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const top = Number(process.argv[2] ?? 40);

const result = await build({
  bundle: true,
  minify: true,
  write: false,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  external: ['rxjs'],
  logLevel: 'silent',
  absWorkingDir: ROOT,
  sourcemap: 'external',
  outfile: 'typical.js',
  stdin: { contents: TYPICAL_IMPORT, resolveDir: ROOT, loader: 'ts', sourcefile: 'entry.ts' },
});
const code = result.outputFiles.find((f) => f.path.endsWith('.js'))?.text ?? '';
const map = JSON.parse(result.outputFiles.find((f) => f.path.endsWith('.map'))?.text ?? '{}') as RawSourceMap;
const consumer = new SourceMapConsumer(map);
const gz = (text: string): number => gzipSync(text, { level: 9 }).byteLength;
const total = gz(code);

// The top-level declaration that holds each line of each source file.
const declarationOf = new Map<string, string[]>();
function declarationAt(source: string, line: number): string {
  let names = declarationOf.get(source);
  if (!names) {
    names = [];
    let current = '(module)';
    const lines = source.startsWith('entry') ? [] : readFileSync(new URL(`../${source.replace(/^\.\.\//, '')}`, import.meta.url), 'utf8').split('\n');
    for (const text of lines) {
      const match = /^(?:export )?(?:default )?(?:async )?(?:function\*? |class |const |let |var |abstract class )([\w$]+)/.exec(text);
      if (match?.[1]) current = match[1];
      names.push(current);
    }
    declarationOf.set(source, names);
  }
  return names[line - 1] ?? '(module)';
}

// Output offsets of each generated line's start, then each mapping's range of characters.
const lineStarts = [0];
for (let i = 0; i < code.length; i++) if (code[i] === '\n') lineStarts.push(i + 1);
const segments: { start: number; source: string; declaration: string }[] = [];
consumer.eachMapping((m) => {
  if (!m.source) return;
  const source = m.source.replace(/^(\.\.\/)+/, '').replace(/^.*?\/lib\//, 'lib/');
  segments.push({ start: (lineStarts[m.generatedLine - 1] ?? 0) + m.generatedColumn, source, declaration: declarationAt(source, m.originalLine ?? 0) });
});
segments.sort((a, b) => a.start - b.start);

const byFile = new Map<string, boolean[]>();
const byDeclaration = new Map<string, boolean[]>();
const charge = (table: Map<string, boolean[]>, key: string, from: number, to: number) => {
  let mask = table.get(key);
  if (!mask) table.set(key, (mask = new Array<boolean>(code.length).fill(false)));
  for (let i = from; i < to; i++) mask[i] = true;
};
segments.forEach((s, i) => {
  const end = segments[i + 1]?.start ?? code.length;
  charge(byFile, s.source, s.start, end);
  charge(byDeclaration, `${s.source} ${s.declaration}`, s.start, end);
});

const rows = (table: Map<string, boolean[]>) =>
  [...table].map(([name, mask]) => {
    const minified = mask.filter(Boolean).length;
    return { name, minified, gz: total - gz(code.split('').filter((_, i) => !mask[i]).join('')) };
  }).sort((a, b) => b.gz - a.gz);

console.log(`typical import: ${total} B gzipped, ${code.length} B minified`);
console.log('\nper file (gz = marginal gzipped bytes):');
for (const r of rows(byFile)) console.log(`${String(r.gz).padStart(6)} gz ${String(r.minified).padStart(6)} min  ${r.name}`);
console.log(`\ntop ${top} declarations:`);
for (const r of rows(byDeclaration).slice(0, top)) console.log(`${String(r.gz).padStart(6)} gz ${String(r.minified).padStart(6)} min  ${r.name}`);
