import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createFakeAuthorizationServer } from '../lib/testing/fake-authorization-server.js';
import { libMode, loadLib } from './lib-under-test.js';
import { createOurs } from './peers/rx-token-http.js';
import type { Section, TargetCheck } from './report.js';
import { fmt, fmtBytes } from './stats.js';

/**
 * Memory: the heap after many requests with periodic expiries, measured after GC, in a child
 * process (`node --expose-gc --import tsx bench/memory.ts --child …`) so `global.gc()` is there
 * and nothing else lives in its heap. The child never calls `process.exit()` nor disposes the
 * session: if a timer or a subscription were left behind, it would not exit, and the parent,
 * after a grace period, reports that and stops it.
 *
 * The server is the fake authorization server's model in the same process (through a `fetch`
 * that calls `handle()`), so the real fetch backend, `oauth2RefreshGrant`, 401s and refreshes all
 * run, without sockets in the measurement.
 */

const CONCURRENCY = 64;
const RESULT_MARK = 'MEMORY_RESULT ';
const EXIT_GRACE_MS = 5_000;
const MAX_MS = 240_000;
const FLAT_BYTES = 2 * 1024 * 1024;

interface ChildResult {
  readonly requests: number;
  readonly warmup: number;
  readonly expireEvery: number;
  readonly baseline: number;
  /** Heap used after GC, after every tenth of the requests. */
  readonly samples: readonly { readonly done: number; readonly heapUsed: number }[];
  readonly refreshes: number;
  readonly tokenRequests: number;
  readonly errors: number;
  readonly seconds: number;
  /** What keeps the event loop alive just before the child's main module ends. */
  readonly activeResources: readonly string[];
}

export interface MemoryResult {
  readonly child: ChildResult | null;
  readonly exitedByItself: boolean;
  readonly exitMs: number | null;
  readonly section: Section;
}

function collect(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

async function child(requests: number, expireEvery: number, mode: 'built' | 'source'): Promise<void> {
  await loadLib(mode);
  const base = 'http://localhost:1';
  const model = createFakeAuthorizationServer({ accessTokenTtl: 3_600_000 });
  // Without `signal`: in this in-process setup, handing the caller's signal on to `new Request()`
  // retained about 2.5 KB per request on Node 20 even with a plain AbortController and no library
  // code, which would drown the figure. The library's own AbortController still runs; the fake
  // server just does not see it. (Over real sockets the same library stays flat.)
  const fetchFn: typeof fetch = (input, init) => model.handle(new Request(input, { method: init?.method, headers: init?.headers, body: init?.body }));
  const peer = createOurs({ baseUrl: base, tokenUrl: `${base}/oauth/token`, tokens: model.signIn(), fetch: fetchFn });
  const warmup = Math.min(10_000, requests / 10);
  let errors = 0;
  let issued = 0;

  async function run(count: number, onEach?: (n: number) => void): Promise<void> {
    const end = issued + count;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (issued < end) {
          const n = ++issued;
          if (n % expireEvery === 0) model.expireAccessTokens();
          const outcome = await peer.get('/api/items');
          if (outcome.kind !== 'ok') errors++;
          onEach?.(n);
        }
      }),
    );
  }

  const start = performance.now();
  await run(warmup);
  const baseline = collect();
  const samples: { done: number; heapUsed: number }[] = [];
  const step = requests / 10;
  for (let i = 1; i <= 10; i++) {
    await run(step);
    samples.push({ done: i * step, heapUsed: collect() });
  }
  // Let anything scheduled by the last responses run before looking at what is left.
  await new Promise((resolve) => setImmediate(resolve));
  const result: ChildResult = {
    requests,
    warmup,
    expireEvery,
    baseline,
    samples,
    refreshes: model.stats.refreshGrants,
    tokenRequests: model.stats.tokenRequests,
    errors,
    seconds: (performance.now() - start) / 1000,
    activeResources: process.getActiveResourcesInfo(),
  };
  process.stdout.write(`${RESULT_MARK}${JSON.stringify(result)}\n`);
  // No exit(), no dispose(): the process must end by itself.
}

export async function runMemory(options: { quick: boolean; log: (line: string) => void }): Promise<MemoryResult> {
  const requests = options.quick ? 20_000 : 100_000;
  const expireEvery = options.quick ? 2_000 : 5_000;
  const file = fileURLToPath(import.meta.url);
  const proc = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', file, '--child', String(requests), String(expireEvery), libMode() === 'source' ? 'source' : 'built'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  let resultAt: number | null = null;
  let killedAfterResult = false;
  let graceTimer: NodeJS.Timeout | undefined;
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  proc.stdout.setEncoding('utf8');
  proc.stdout.on('data', (chunk: string) => {
    out += chunk;
    if (resultAt === null && out.includes(RESULT_MARK)) {
      resultAt = performance.now();
      graceTimer = setTimeout(() => {
        killedAfterResult = true;
        proc.kill();
      }, EXIT_GRACE_MS);
    }
  });
  const overall = setTimeout(() => proc.kill(), MAX_MS);
  const code = await exited;
  clearTimeout(overall);
  clearTimeout(graceTimer);
  const exitAt = performance.now();
  const line = out.split('\n').find((l) => l.startsWith(RESULT_MARK));
  const result = line ? (JSON.parse(line.slice(RESULT_MARK.length)) as ChildResult) : null;
  const exitedByItself = result !== null && !killedAfterResult && code === 0;
  const exitMs = resultAt !== null && !killedAfterResult ? exitAt - resultAt : null;
  if (result) {
    options.log(`  ${fmt(result.requests)} requests, ${result.refreshes} refreshes: heap ${fmtBytes(result.baseline)} → ${fmtBytes(result.samples.at(-1)?.heapUsed ?? 0)}; exited by itself: ${exitedByItself}`);
  } else {
    options.log(`  the memory child failed (exit code ${code})`);
  }
  return { child: result, exitedByItself, exitMs, section: toSection(result, exitedByItself, exitMs) };
}

function toSection(result: ChildResult | null, exitedByItself: boolean, exitMs: number | null): Section {
  if (!result) {
    return {
      id: 'memory',
      title: 'Memory',
      headers: ['result'],
      rows: [['the child process failed before reporting']],
      notes: [],
      targets: [{ name: 'memory: heap flat within 2 MB', met: false, detail: 'no result' }],
    };
  }
  const heaps = result.samples.map((s) => s.heapUsed);
  const final = heaps.at(-1) ?? NaN;
  const growth = final - result.baseline;
  const range = Math.max(...heaps, result.baseline) - Math.min(...heaps, result.baseline);
  // Least-squares slope over the samples, in bytes per 10,000 requests.
  const xs = result.samples.map((s) => s.done);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = heaps.reduce((a, b) => a + b, 0) / heaps.length;
  const slope = xs.reduce((acc, x, i) => acc + (x - mx) * ((heaps[i] as number) - my), 0) / xs.reduce((acc, x) => acc + (x - mx) ** 2, 0);
  const targets: TargetCheck[] = [
    {
      name: `memory: heap after ${fmt(result.requests)} requests flat within 2 MB`,
      met: Math.abs(growth) <= FLAT_BYTES && range <= FLAT_BYTES,
      detail: `${fmtBytes(result.baseline)} → ${fmtBytes(final)} (${growth >= 0 ? '+' : ''}${fmtBytes(growth)}; range of 10 samples ${fmtBytes(range)})`,
    },
    {
      name: 'memory: no timer or subscription left behind (the process exits by itself)',
      met: exitedByItself,
      detail: exitedByItself
        ? `exited ${fmt(exitMs ?? 0)} ms after its last line, without exit() or dispose()`
        : `still alive ${EXIT_GRACE_MS / 1000} s after its last line; active: ${result.activeResources.join(', ') || 'none reported'}`,
      blocking: false,
    },
  ];
  return {
    id: 'memory',
    title: `Memory: ${fmt(result.requests)} requests with an expiry every ${fmt(result.expireEvery)}`,
    headers: ['requests done', 'heap used after GC', 'change from baseline'],
    rows: [
      ['baseline (after a warm-up of ' + fmt(result.warmup) + ')', fmtBytes(result.baseline), '–'],
      ...result.samples.map((s) => [fmt(s.done), fmtBytes(s.heapUsed), `${s.heapUsed >= result.baseline ? '+' : ''}${fmtBytes(s.heapUsed - result.baseline)}`]),
    ],
    notes: [
      `Child process \`node --expose-gc --import tsx bench/memory.ts --child\`; the fake authorization server's model answers in-process through a \`fetch\` function (no sockets), which builds its \`Request\` without the caller's \`signal\`: in this in-process setup, passing the signal on retained about 2.5 KB per request on Node 20 even with a plain \`AbortController\` and no library code (over real sockets, with the signal, our client stays flat too). ${CONCURRENCY} requests in flight; every ${fmt(result.expireEvery)}th request the server expires all access tokens, so the session refreshes (${result.refreshes} refreshes, ${result.tokenRequests} token calls, ${result.errors} failed requests). Heap measured after two \`gc()\` calls; ${result.seconds.toFixed(1)} s in all. Trend: ${slope >= 0 ? '+' : ''}${fmtBytes(slope * 10_000)} per 10,000 requests (least squares).`,
      `Exit: ${exitedByItself ? `the child exited by itself ${fmt(exitMs ?? 0)} ms after printing its result, without \`process.exit()\` and without \`session.dispose()\`` : `the child was still running ${EXIT_GRACE_MS / 1000} s after its result and was stopped`}. Active resources just before its main module ended: ${result.activeResources.join(', ') || 'none'}.`,
    ],
    targets,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href && process.argv[2] === '--child') {
  const [, , , requests = '100000', every = '5000', mode = 'built'] = process.argv;
  await child(Number(requests), Number(every), mode === 'source' ? 'source' : 'built');
}
