import { existsSync, readFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { SourceMap } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BUILT_FILE, ROOT } from './lib-under-test.js';

/** A function's share of the CPU samples taken while a loop ran (self time: not its callees). */
export interface ProfileEntry {
  readonly functionName: string;
  /** `file:line` relative to the repository, or a Node-internal module. */
  readonly location: string;
  /** Where the code lives: `lib/` (ours), `rxjs`, `node`, `undici`, `bench`, … */
  readonly area: string;
  readonly selfShare: number;
  readonly selfMs: number;
  /** Self CPU time per iteration (request), in µs. */
  readonly usPerIteration: number;
  /** For library code: the hottest source lines inside the function, with their share of its ticks. */
  readonly hotLines?: readonly { readonly line: number; readonly share: number }[];
}

export interface ProfileSummary {
  readonly label: string;
  readonly iterations: number;
  readonly totalMs: number;
  /** CPU time the samples saw (idle excluded), in ms. */
  readonly busyMs: number;
  /** The 60 functions with the most self time, most first. */
  readonly top: readonly ProfileEntry[];
  /** Self time per area, as shares and µs per iteration. */
  readonly areas: readonly { readonly area: string; readonly share: number; readonly usPerIteration: number }[];
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  positionTicks?: { line: number; ticks: number }[];
}

const BUILT_URL = pathToFileURL(BUILT_FILE).href;
let builtMap: SourceMap | null | undefined;
let builtLines: string[] | undefined;

/** The first non-blank column of a line of the compiled file: where its mapping starts. */
function indentOf(line: number): number {
  builtLines ??= existsSync(BUILT_FILE) ? readFileSync(BUILT_FILE, 'utf8').split('\n') : [];
  const text = builtLines[line] ?? '';
  return text.length - text.trimStart().length;
}

/** Frames in the compiled library are named by their TypeScript source line (esbuild's map). */
function original(url: string, line: number, column: number): { url: string; line: number } {
  if (!url.startsWith(BUILT_URL)) return { url, line };
  if (builtMap === undefined) {
    const file = `${BUILT_FILE}.map`;
    builtMap = existsSync(file) ? new SourceMap(JSON.parse(readFileSync(file, 'utf8'))) : null;
  }
  const entry = builtMap?.findEntry(line, column) as { originalSource?: string; originalLine?: number } | undefined;
  if (!entry?.originalSource) return { url, line };
  const source = entry.originalSource.startsWith('file:') ? entry.originalSource : pathToFileURL(path.resolve(path.dirname(BUILT_FILE), entry.originalSource)).href;
  return { url: source, line: entry.originalLine ?? line };
}

/**
 * Runs `iteration` `iterations` times (`concurrency` loops side by side) under the V8 sampling
 * profiler, through `node:inspector` in this process, and sums self time per function.
 * Bounded: a warm-up of at most 2,000 iterations, then exactly `iterations`.
 */
export async function profileLoop(label: string, iteration: () => Promise<unknown>, iterations: number, concurrency = 1): Promise<ProfileSummary> {
  const loop = async (count: number) => {
    let left = count;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (left > 0) {
          left--;
          await iteration();
        }
      }),
    );
  };
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 50 });
    await loop(Math.min(2000, iterations));
    await session.post('Profiler.start');
    const start = performance.now();
    await loop(iterations);
    const totalMs = performance.now() - start;
    const { profile } = await session.post('Profiler.stop');
    return summarise(label, iterations, totalMs, profile as unknown as { nodes: ProfileNode[]; samples?: number[]; timeDeltas?: number[] });
  } finally {
    await session.post('Profiler.disable').catch(() => undefined);
    session.disconnect();
  }
}

function summarise(label: string, iterations: number, totalMs: number, profile: { nodes: ProfileNode[]; samples?: number[]; timeDeltas?: number[] }): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  // Self time per node from the sample stream (time delta i belongs to sample i).
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i] as number;
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, deltas[i + 1] ?? deltas[i] ?? 0));
  }
  const grouped = new Map<string, { functionName: string; location: string; area: string; us: number; lines: Map<number, number> }>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    if (frame.functionName === '(idle)') continue;
    total += us;
    const mapped = original(frame.url, frame.lineNumber, frame.columnNumber);
    const location = locate(mapped.url, mapped.line);
    const area = areaOf(mapped.url, frame.functionName);
    const functionName = frame.functionName || '(anonymous)';
    const key = `${functionName}@${location}`;
    const entry = grouped.get(key) ?? { functionName, location, area, us: 0, lines: new Map<number, number>() };
    entry.us += us;
    if (mapped.url !== frame.url || area.startsWith('lib/')) {
      for (const tick of byId.get(id)?.positionTicks ?? []) {
        const line = original(frame.url, tick.line - 1, mapped.url !== frame.url ? indentOf(tick.line - 1) : 0).line + 1;
        entry.lines.set(line, (entry.lines.get(line) ?? 0) + tick.ticks);
      }
    }
    grouped.set(key, entry);
  }
  const entries = [...grouped.values()].sort((a, b) => b.us - a.us);
  const areas = new Map<string, number>();
  for (const e of entries) areas.set(e.area, (areas.get(e.area) ?? 0) + e.us);
  return {
    label,
    iterations,
    totalMs,
    busyMs: total / 1000,
    top: entries.slice(0, Number(process.env.PROFILE_TOP ?? 60)).map((e) => ({
      functionName: e.functionName,
      location: e.location,
      area: e.area,
      selfShare: e.us / total,
      selfMs: e.us / 1000,
      usPerIteration: e.us / iterations,
      ...(e.lines.size ? { hotLines: hottest(e.lines) } : {}),
    })),
    areas: [...areas].sort((a, b) => b[1] - a[1]).map(([area, us]) => ({ area, share: us / total, usPerIteration: us / iterations })),
  };
}

function hottest(lines: ReadonlyMap<number, number>): { line: number; share: number }[] {
  const ticks = [...lines.values()].reduce((a, b) => a + b, 0);
  return [...lines]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([line, n]) => ({ line, share: n / ticks }));
}

function locate(url: string, line: number): string {
  if (url === '') return '(native)';
  if (url.startsWith('node:')) return `${url}:${line + 1}`;
  const file = url.startsWith('file://') ? fileURLToPath(url) : url;
  return `${path.relative(ROOT, file)}:${line + 1}`;
}

function areaOf(url: string, functionName: string): string {
  if (functionName === '(garbage collector)') return 'GC';
  if (functionName === '(program)' || url === '') return 'V8 / native';
  if (url.includes('undici')) return 'undici (fetch)';
  if (url.startsWith('node:')) return 'Node internals';
  const file = url.startsWith('file://') ? fileURLToPath(url) : url;
  const rel = path.relative(ROOT, file);
  if (rel.startsWith('lib/')) return 'lib/ (rx-token-http)';
  if (rel.startsWith('bench/')) return 'bench harness';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(rel)?.[1];
  return pkg ?? rel;
}

/** Markdown for one profile: the top self-time functions and the split by area. */
export function profileMarkdown(p: ProfileSummary): string {
  const lines = [
    `**${p.label}**: ${p.iterations.toLocaleString('en-US')} requests in ${p.totalMs.toFixed(0)} ms of wall time, ${((p.busyMs * 1000) / p.iterations).toFixed(1)} µs of sampled CPU each (profiler on).`,
    '',
    `By area (self time): ${p.areas.slice(0, 8).map((a) => `${a.area} ${(a.share * 100).toFixed(1)}%`).join(', ')}.`,
    '',
    '| self time | function | where | hottest lines (share of the function\'s samples) |',
    '| --- | --- | --- | --- |',
    ...p.top.slice(0, 15).map(
      (e) =>
        `| ${(e.selfShare * 100).toFixed(1)}% | \`${e.functionName}\` | ${e.location} (${e.area}) | ${e.hotLines?.map((l) => `${l.line} (${(l.share * 100).toFixed(0)}%)`).join(', ') ?? ''} |`,
    ),
  ];
  return lines.join('\n');
}

/**
 * What `ours` spends per request beyond `floor`, from two profiles of the same loop: CPU µs per
 * request by area, then the functions whose self time per request grew the most.
 */
export function profileDiffMarkdown(ours: ProfileSummary, floor: ProfileSummary, names: { ours: string; floor: string }): string {
  const perIt = (p: ProfileSummary) => (p.busyMs * 1000) / p.iterations;
  const areaNames = [...new Set([...ours.areas, ...floor.areas].map((a) => a.area))];
  const areaRows = areaNames
    .map((area) => {
      const a = ours.areas.find((x) => x.area === area)?.usPerIteration ?? 0;
      const b = floor.areas.find((x) => x.area === area)?.usPerIteration ?? 0;
      return { area, a, b, d: a - b };
    })
    .sort((x, y) => y.d - x.d);
  const key = (e: ProfileEntry) => `${e.functionName}@${e.location}`;
  const floorBy = new Map(floor.top.map((e) => [key(e), e.usPerIteration]));
  const fnRows = ours.top
    .map((e) => ({ e, d: e.usPerIteration - (floorBy.get(key(e)) ?? 0) }))
    .sort((x, y) => y.d - x.d)
    .slice(0, 12);
  const extra = perIt(ours) - perIt(floor);
  return [
    `**What ${names.ours} adds to ${names.floor}**: ${perIt(ours).toFixed(1)} vs ${perIt(floor).toFixed(1)} µs of sampled CPU per request (${extra >= 0 ? '+' : ''}${extra.toFixed(1)} µs).`,
    '',
    `| area | ${names.ours} µs/req | ${names.floor} µs/req | difference |`,
    '| --- | --- | --- | --- |',
    ...areaRows.map((r) => `| ${r.area} | ${r.a.toFixed(1)} | ${r.b.toFixed(1)} | ${r.d >= 0 ? '+' : ''}${r.d.toFixed(1)} |`),
    '',
    `Functions whose self time per request grew most (${names.ours} minus ${names.floor}):`,
    '',
    '| µs/req added | function | where | hottest lines |',
    '| --- | --- | --- | --- |',
    ...fnRows.map(
      ({ e, d }) =>
        `| ${d >= 0 ? '+' : ''}${d.toFixed(1)} | \`${e.functionName}\` | ${e.location} (${e.area}) | ${e.hotLines?.map((l) => `${l.line} (${(l.share * 100).toFixed(0)}%)`).join(', ') ?? ''} |`,
    ),
  ].join('\n');
}

/** One sentence on what `ours` adds to `floor` per request: the areas and the top functions. */
export function profileDiffSentence(ours: ProfileSummary, floor: ProfileSummary): string {
  const perIt = (p: ProfileSummary) => (p.busyMs * 1000) / p.iterations;
  const areas = [...new Set(ours.areas.map((a) => a.area))]
    .map((area) => ({
      area,
      d: (ours.areas.find((a) => a.area === area)?.usPerIteration ?? 0) - (floor.areas.find((a) => a.area === area)?.usPerIteration ?? 0),
    }))
    .filter((a) => a.d > 1)
    .sort((a, b) => b.d - a.d);
  const key = (e: ProfileEntry) => `${e.functionName}@${e.location}`;
  const floorBy = new Map(floor.top.map((e) => [key(e), e.usPerIteration]));
  const fns = ours.top
    .filter((e) => e.area.startsWith('lib/'))
    .map((e) => ({ e, d: e.usPerIteration - (floorBy.get(key(e)) ?? 0) }))
    .sort((a, b) => b.d - a.d)
    .slice(0, 4);
  const added = perIt(ours) - perIt(floor);
  return (
    `the CPU profile gives our client ${Math.abs(added).toFixed(0)} µs ${added >= 0 ? 'more' : 'less'} main-thread CPU per request than fetch ` +
    `(${perIt(ours).toFixed(0)} vs ${perIt(floor).toFixed(0)} µs): ${areas.map((a) => `${a.area} +${a.d.toFixed(1)}`).join(', ')}. ` +
    `In lib/: ${fns.map(({ e, d }) => `\`${e.functionName}\` (${e.location}${e.hotLines?.length ? `, line${e.hotLines.length > 1 ? "s" : ""} ${e.hotLines.map((l) => l.line).join("/")}` : ''}) +${d.toFixed(1)} µs`).join('; ')}.`
  );
}
