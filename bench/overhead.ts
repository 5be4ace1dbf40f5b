import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { firstValueFrom, of } from 'rxjs';
import { Bench, type Task } from 'tinybench';
import type { Transport, ApiResponse } from '../lib/index.js';
import { axiosAuthRefresh } from './peers/axios-auth-refresh.js';
import { fetchFloor } from './peers/fetch-floor.js';
import { kyHooks } from './peers/ky-hooks.js';
import type { Peer, PeerConfig } from './peers/peer.js';
import { createOurs } from './peers/rx-token-http.js';
import { sharedPromise } from './peers/shared-promise.js';
import { libMode } from './lib-under-test.js';
import type { ProfileJob } from './profile-child.js';
import { profileDiffMarkdown, profileMarkdown, type ProfileSummary } from './profile.js';
import type { Section } from './report.js';
import { fmt, median } from './stats.js';

/**
 * Pipeline overhead without a network: one request at a time through each client, where
 * `fetch` is a function that answers at once with a small JSON `Response`, and for our client
 * also an in-memory {@link Transport} (no `Response` at all: the RxJS pipeline alone).
 * Measured with tinybench: latency per request, median ± MAD and mean ± relative margin of error.
 */

const execFileAsync = promisify(execFile);
const BASE = 'http://localhost:1';
const BODY = '{"ok":true,"items":[1,2,3]}';

/** A `fetch` that never leaves the process. */
export const fakeFetch: typeof fetch = async () => new Response(BODY, { status: 200, headers: { 'content-type': 'application/json' } });

const RESPONSE: ApiResponse<unknown> = { status: 200, statusText: 'OK', headers: new Headers({ 'content-type': 'application/json' }), body: { ok: true }, url: `${BASE}/api/items` };
/** The in-memory transport: a cold observable of a ready response. */
export const memoryTransport: Transport = () => of(RESPONSE);

export const OURS_MEMORY = 'rx-token-http, in-memory transport';
export const OURS_FETCH = 'rx-token-http, fake fetch';
export const FLOOR_FETCH = 'fetch (floor), fake fetch';

export function overheadClients(): { name: string; peer: Peer }[] {
  const config: PeerConfig = {
    baseUrl: BASE,
    tokenUrl: `${BASE}/oauth/token`,
    tokens: { accessToken: 'access-token', refreshToken: 'refresh-token', expiresAt: Date.now() + 3_600_000 },
    fetch: fakeFetch,
  };
  return [
    { name: FLOOR_FETCH, peer: fetchFloor.create(config) },
    { name: OURS_MEMORY, peer: createOurs(config, memoryTransport) },
    { name: OURS_FETCH, peer: createOurs(config) },
    { name: 'shared promise, fake fetch', peer: sharedPromise.create(config) },
    { name: 'axios + axios-auth-refresh, fetch adapter + fake fetch', peer: axiosAuthRefresh.create(config) },
    { name: 'ky afterResponse, fake fetch', peer: kyHooks.create(config) },
  ];
}

export interface OverheadRow {
  readonly name: string;
  readonly medianUs: number;
  readonly madUs: number;
  readonly meanUs: number;
  readonly rme: number;
  readonly samples: number;
}

/** The in-memory pipeline measured alone in fresh processes: each process's median, in µs. */
export interface FreshMemory {
  readonly medians: readonly number[];
  readonly references: readonly number[];
}

export interface OverheadResult {
  readonly rows: readonly OverheadRow[];
  readonly fresh: FreshMemory;
  readonly profiles: readonly ProfileSummary[];
  readonly section: Section;
}

/** The threshold above which our pipeline's cost is called "high" and profiled. */
const HIGH_US = 25;
/** Issue 11: the in-memory pipeline, per request. */
const TARGET_MEMORY_US = 4;

export async function runOverhead(options: { quick: boolean; profile: 'auto' | 'always' | 'never'; log: (line: string) => void }): Promise<OverheadResult> {
  const clients = overheadClients();
  const bench = new Bench({ time: options.quick ? 150 : 1000, warmupTime: options.quick ? 50 : 250, iterations: 64, throws: true });
  // A reference for what any RxJS request costs at least: subscribe, one emission, a promise.
  bench.add('reference: firstValueFrom(of(response))', () => firstValueFrom(of(RESPONSE)));
  for (const { name, peer } of clients) {
    bench.add(name, async () => {
      const outcome = await peer.get('/api/items');
      if (outcome.kind !== 'ok') throw new Error(`${name}: ${outcome.kind} ${outcome.detail ?? ''}`);
    });
  }
  await bench.run();
  const rows = bench.tasks.map(toRow);
  for (const row of rows) options.log(`  ${row.name.padEnd(56)} ${fmt(row.medianUs, 2)} µs`);
  for (const { peer } of clients) peer.close();
  const fresh = await memoryInFreshProcesses(options.quick);
  options.log(`  in-memory pipeline in ${fresh.medians.length} fresh processes: ${fresh.medians.map((m) => fmt(m, 2)).join(', ')} µs`);

  const ours = rows.find((r) => r.name === OURS_MEMORY);
  const floor = rows.find((r) => r.name === FLOOR_FETCH);
  const oursFetch = rows.find((r) => r.name === OURS_FETCH);
  const high = (ours?.medianUs ?? 0) > HIGH_US || (oursFetch && floor ? oursFetch.medianUs > 1.5 * floor.medianUs : false);
  const profiles: ProfileSummary[] = [];
  if (options.profile === 'always' || (options.profile === 'auto' && high)) {
    options.log('  profiling the overhead loops…');
    profiles.push(...(await profileOurs(options.quick)));
  }
  return { rows, fresh, profiles, section: toSection(rows, fresh, profiles, high) };
}

/** Fresh processes that measure the in-memory pipeline (bench/overhead-child.ts), one after another. */
const FRESH_PROCESSES = 5;

async function memoryInFreshProcesses(quick: boolean): Promise<FreshMemory> {
  const medians: number[] = [];
  const references: number[] = [];
  for (let i = 0; i < (quick ? 2 : FRESH_PROCESSES); i++) {
    const job = JSON.stringify({ lib: libMode() === 'source' ? 'source' : 'built', quick });
    const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./overhead-child.ts', import.meta.url)), job], { timeout: 120_000 });
    const { medianUs, referenceUs } = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as { medianUs: number; referenceUs: number };
    medians.push(medianUs);
    references.push(referenceUs);
  }
  return { medians, references };
}

/**
 * CPU profiles of our client's overhead loop (in-memory transport, and over the fake fetch) and of
 * the fetch floor, each in a fresh child process (bench/profile-child.ts), bounded by a timeout.
 */
export async function profileOurs(quick: boolean): Promise<ProfileSummary[]> {
  const iterations = quick ? 5_000 : 40_000;
  const result: ProfileSummary[] = [];
  for (const client of [OURS_MEMORY, OURS_FETCH, FLOOR_FETCH]) {
    result.push(await profileInChild({ client, iterations, concurrency: 1, lib: libMode() === 'source' ? 'source' : 'built' }));
  }
  return result;
}

/** Runs bench/profile-child.ts with `job` and reads its summary (bounded by a timeout). */
export async function profileInChild(job: ProfileJob): Promise<ProfileSummary> {
  const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./profile-child.ts', import.meta.url)), JSON.stringify(job)], {
    timeout: 120_000,
    maxBuffer: 8 * 1024 * 1024,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as ProfileSummary;
}

function toRow(task: Task): OverheadRow {
  const r = task.result;
  if (r.state !== 'completed' && r.state !== 'aborted-with-statistics') throw new Error(`${task.name}: ${r.state}`);
  return {
    name: task.name,
    medianUs: r.latency.p50 * 1000,
    madUs: r.latency.mad * 1000,
    meanUs: r.latency.mean * 1000,
    rme: r.latency.rme,
    samples: r.latency.samplesCount,
  };
}

function toSection(rows: readonly OverheadRow[], fresh: FreshMemory, profiles: readonly ProfileSummary[], high: boolean): Section {
  const floor = rows.find((r) => r.name === FLOOR_FETCH);
  const ours = rows.find((r) => r.name === OURS_MEMORY);
  const reference = rows.find((r) => r.name.startsWith('reference'));
  const freshMedian = median(fresh.medians);
  const table = rows.map((r) => [
    r.name,
    `${fmt(r.medianUs, 2)} ± ${fmt(r.madUs, 2)}`,
    `${fmt(r.meanUs, 2)} ± ${fmt(r.rme, 1)}%`,
    floor && r.name !== FLOOR_FETCH && !r.name.startsWith('reference') && r.name !== OURS_MEMORY ? fmt(r.medianUs / floor.medianUs, 2) : r.name === FLOOR_FETCH ? '1 (floor)' : '–',
    floor && r.name !== FLOOR_FETCH && !r.name.startsWith('reference') && r.name !== OURS_MEMORY ? `${r.medianUs >= floor.medianUs ? '+' : ''}${fmt(r.medianUs - floor.medianUs, 2)}` : '–',
    fmt(r.samples),
  ]);
  const appendix = profiles.length
    ? [
        `### Where the time goes (CPU profile)`,
        '',
        `${high ? 'Our overhead looked high, so' : 'For reference,'} the loops were profiled, each in a fresh process, with the V8 sampling profiler (node:inspector, 50 µs interval, after 2,000 warm-up iterations). Self time, i.e. not counting callees. Frames of the compiled library are mapped back to lib/ source lines through esbuild's source map.`,
        '',
        ...(profiles[1] && profiles[2] ? [profileDiffMarkdown(profiles[1], profiles[2], { ours: 'rx-token-http', floor: 'fetch' }), ''] : []),
        ...profiles.flatMap((p) => [profileMarkdown(p), '']),
      ].join('\n')
    : undefined;
  return {
    id: 'overhead',
    title: 'Pipeline overhead without a network (tinybench)',
    headers: ['client', 'median µs/req ± MAD', 'mean µs/req ± RME', 'ratio to fetch', 'µs added to fetch', 'samples'],
    rows: table,
    notes: [
      `Issue 11 sets ${TARGET_MEMORY_US} µs per request for the in-memory pipeline; on a loaded shared machine the absolute figure moves with the load, so the ratio to the bare-RxJS reference of the same run is given beside it. The target reads the median of ${fresh.medians.length} fresh processes (bench/overhead-child.ts: the reference and the in-memory task alone, same tinybench options), one after another: ${fresh.medians.map((m) => fmt(m, 2)).join(', ')} µs (references ${fresh.references.map((m) => fmt(m, 2)).join(', ')} µs). In the bench process (the table), after whatever scenarios ran before it, the same task reads ${fmt(ours?.medianUs ?? NaN, 2)} µs: the compiled code and type feedback the stampede and throughput scenarios leave behind move it by more than the target's margin, which is why the profiles below were already taken in fresh processes. The bench calls our overhead high, and profiles it, when the in-memory pipeline takes more than ${HIGH_US} µs per request or our client over the fake fetch more than 1.5 × the fetch floor (or when the throughput target is missed).`,
      `One request at a time (GET, small JSON body) through each client, with a \`fetch\` that answers at once from memory (axios: its fetch adapter with that \`fetch\`; our client also with an in-memory \`Transport\`, which skips \`Response\` and body reading: the pipeline alone). tinybench (${fmt(Math.min(...rows.map((r) => r.samples)))} to ${fmt(Math.max(...rows.map((r) => r.samples)))} samples per task): median ± median absolute deviation, mean ± relative margin of error at 95%.`,
    ],
    targets: ours
      ? [
          {
            name: `overhead: in-memory pipeline ≤ ${TARGET_MEMORY_US} µs per request`,
            met: freshMedian <= TARGET_MEMORY_US,
            detail: `median ${fmt(freshMedian, 2)} µs over ${fresh.medians.length} fresh processes [${fmt(Math.min(...fresh.medians), 2)}–${fmt(Math.max(...fresh.medians), 2)}], ${fmt(freshMedian / median(fresh.references), 1)} × the bare-RxJS reference there; ${fmt(ours.medianUs, 2)} µs in the bench process (${fmt(ours.medianUs / (reference?.medianUs ?? NaN), 1)} × its reference)`,
          },
        ]
      : [],
    ...(appendix ? { appendix } : {}),
  };
}
