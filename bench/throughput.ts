import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { InitialTokens, Peer, PeerFactory } from './peers/peer.js';
import { FLOOR, PEERS } from './peers/registry.js';
import { rxTokenHttp } from './peers/rx-token-http.js';
import { libMode } from './lib-under-test.js';
import { profileInChild } from './overhead.js';
import { profileDiffMarkdown, profileDiffSentence, profileMarkdown, type ProfileSummary } from './profile.js';
import type { Section, TargetCheck } from './report.js';
import { fmt, fmtSummary, median, medianInterval, summarize } from './stats.js';

/**
 * Throughput: requests per second at a fixed concurrency with a valid token (no refresh), as a
 * ratio to plain `fetch` measured in the same rounds. The server runs in a child process, so
 * this process's CPU time per request is the client's own cost. Clients take turns in every
 * round (rotating who goes first), and ratios are taken round by round, then their median.
 */

export const CONCURRENCY = 64;
const PATH = '/api/items';
const TARGET_RATIO = 0.95;
/** Our client's CPU per request, at most this many times fetch's (issue 11). */
const TARGET_CPU_RATIO = 1.1;

export interface ThroughputSample {
  readonly rps: number;
  /** Client-process CPU (user + system) per request, in µs. */
  readonly cpuMicros: number;
  readonly errors: number;
}

export interface ThroughputResult {
  /** Samples per client name, one per round. */
  readonly samples: ReadonlyMap<string, readonly ThroughputSample[]>;
  /** Per round: the client's rps divided by the floor's. */
  readonly ratios: ReadonlyMap<string, readonly number[]>;
  readonly section: Section;
  readonly oursRatio: number;
}

export async function runThroughput(options: { quick: boolean; rounds: number; profile: 'auto' | 'always' | 'never'; log: (line: string) => void }): Promise<ThroughputResult> {
  const { rounds } = options;
  const roundMs = options.quick ? 500 : 2000;
  const server = await startServerProcess();
  const clients: PeerFactory[] = [FLOOR, ...PEERS];
  const peers = new Map<PeerFactory, Peer>(
    clients.map((f) => [f, f.create({ baseUrl: server.url, tokenUrl: `${server.url}/oauth/token`, tokens: server.tokens })]),
  );
  const samples = new Map<string, ThroughputSample[]>(clients.map((c) => [c.name, []]));
  try {
    // Warm-up round, discarded: opens the connections and lets the JIT settle.
    for (const factory of clients) await measure(peers.get(factory) as Peer, options.quick ? 300 : 1000);
    for (let round = 0; round < rounds; round++) {
      for (const factory of roundOrder(clients, round)) samples.get(factory.name)?.push(await measure(peers.get(factory) as Peer, roundMs));
      // Rate and CPU per request of each client, so per-round CPU ratios can be resampled from the log.
      const line = clients.map((c) => {
        const last = samples.get(c.name)?.at(-1);
        return `${c.name} ${fmt(last?.rps ?? 0)} req/s ${fmt(last?.cpuMicros ?? 0)} µs`;
      });
      options.log(`  round ${round + 1}/${rounds}: ${line.join(', ')}`);
    }
    const floor = samples.get(FLOOR.name) ?? [];
    const ratios = new Map<string, number[]>();
    for (const c of clients) ratios.set(c.name, (samples.get(c.name) ?? []).map((s, i) => s.rps / (floor[i]?.rps ?? NaN)));
    const oursRatio = median(ratios.get(rxTokenHttp.name) ?? []);
    const missed = !(oursRatio >= TARGET_RATIO);
    const profiles: ProfileSummary[] = [];
    if (options.profile === 'always' || (options.profile === 'auto' && missed)) {
      options.log('  profiling our client and fetch over the network…');
      const iterations = options.quick ? 5_000 : 30_000;
      for (const client of [`network:${rxTokenHttp.name}`, `network:${FLOOR.name}`]) {
        profiles.push(await profileInChild({ client, iterations, concurrency: CONCURRENCY, lib: libMode() === 'source' ? 'source' : 'built', server: { url: server.url, tokens: server.tokens } }));
      }
    }
    return { samples, ratios, oursRatio, section: toSection(clients, samples, ratios, { rounds, roundMs }, profiles, missed) };
  } finally {
    for (const peer of peers.values()) peer.close();
    await server.stop();
  }
}

/**
 * The order of one round: fetch and our client back to back (fetch first in even rounds, ours
 * first in odd ones), so the ratio the targets read compares two runs seconds apart rather than
 * up to a whole round apart on a machine whose speed drifts; then the other peers, rotating.
 */
export function roundOrder(clients: readonly PeerFactory[], round: number): PeerFactory[] {
  const pair = clients.filter((c) => c === FLOOR || c === rxTokenHttp);
  const rest = clients.filter((c) => !pair.includes(c));
  const rotated = rest.map((_, k) => rest[(round + k) % rest.length] as PeerFactory);
  return [...(round % 2 === 0 ? pair : [...pair].reverse()), ...rotated];
}

/** Runs `CONCURRENCY` loops of back-to-back requests for `ms` (bounded by the deadline). */
export async function measure(peer: Peer, ms: number): Promise<ThroughputSample> {
  let done = 0;
  let errors = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  const deadline = start + ms;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        const outcome = await peer.get(PATH);
        if (outcome.kind === 'ok') done++;
        else errors++;
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  return { rps: done / seconds, cpuMicros: (used.user + used.system) / Math.max(1, done + errors), errors };
}

interface ServerProcess {
  readonly url: string;
  readonly tokens: InitialTokens;
  stop(): Promise<void>;
}

/** Starts bench/server-process.ts; `keepAliveMs` replaces Node's 5 s keep-alive for a slow client. */
export async function startServerProcess(options: { readonly keepAliveMs?: number } = {}): Promise<ServerProcess> {
  const child = fork(fileURLToPath(new URL('./server-process.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    ...(options.keepAliveMs ? { env: { ...process.env, KEEP_ALIVE_MS: String(options.keepAliveMs) } } : {}),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [message] = (await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(() => {
      throw new Error('the server process exited before it was ready');
    }),
  ])) as [{ url: string; tokens: InitialTokens }];
  return {
    url: message.url,
    tokens: message.tokens,
    async stop() {
      const exited = once(child, 'exit');
      child.disconnect();
      const timer = setTimeout(() => child.kill(), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function toSection(
  clients: readonly PeerFactory[],
  samples: ReadonlyMap<string, readonly ThroughputSample[]>,
  ratios: ReadonlyMap<string, readonly number[]>,
  run: { rounds: number; roundMs: number },
  profiles: readonly ProfileSummary[],
  missed: boolean,
): Section {
  const floorSamples = samples.get(FLOOR.name) ?? [];
  const floorCpu = median(floorSamples.map((s) => s.cpuMicros));
  const rows = clients.map((c) => {
    const list = samples.get(c.name) ?? [];
    const rps = summarize(list.map((s) => s.rps));
    const cpu = summarize(list.map((s) => s.cpuMicros));
    const ratio = summarize(ratios.get(c.name) ?? []);
    const errors = list.reduce((sum, s) => sum + s.errors, 0);
    return [
      c.name,
      fmtSummary(rps),
      c === FLOOR ? '1 (floor)' : `${fmt(ratio.median, 3)} [${fmt(ratio.min, 3)}–${fmt(ratio.max, 3)}]`,
      fmtSummary(cpu, 1),
      c === FLOOR ? '1 (floor)' : `${fmt(cpu.median / floorCpu, 2)} (per round ${fmt(median(list.map((s, i) => s.cpuMicros / (floorSamples[i]?.cpuMicros ?? NaN))), 2)})`,
      String(errors),
    ];
  });
  const ourRatios = ratios.get(rxTokenHttp.name) ?? [];
  const ourCpuRatios = (samples.get(rxTokenHttp.name) ?? []).map((s, i) => s.cpuMicros / (floorSamples[i]?.cpuMicros ?? NaN));
  const ours = summarize(ourRatios);
  const cpuRatios = summarize(ourCpuRatios);
  // How far the same rounds could move each median: the noise a target is read against.
  const interval = (values: readonly number[]) => {
    const { low, high } = medianInterval(values);
    return `95 % bootstrap interval of the median ${fmt(low, 3)}–${fmt(high, 3)}`;
  };
  const targets: TargetCheck[] = [
    {
      name: `throughput: rx-token-http client CPU per request ≤ ${TARGET_CPU_RATIO} × fetch + AbortSignal at concurrency ${CONCURRENCY}`,
      met: cpuRatios.median <= TARGET_CPU_RATIO,
      detail: `median ratio ${fmt(cpuRatios.median, 3)} over ${cpuRatios.n} rounds [${fmt(cpuRatios.min, 3)}–${fmt(cpuRatios.max, 3)}]; ${interval(ourCpuRatios)}`,
    },
    {
      name: `throughput: rx-token-http ≥ ${TARGET_RATIO} × fetch at concurrency ${CONCURRENCY}`,
      met: ours.median >= TARGET_RATIO,
      detail: `median ratio ${fmt(ours.median, 3)} over ${ours.n} rounds [${fmt(ours.min, 3)}–${fmt(ours.max, 3)}]; ${interval(ourRatios)}`,
    },
  ];
  const appendix = profiles.length
    ? [
        '### Where the time goes (CPU profile over the network)',
        '',
        `${missed ? 'The target was missed, so' : 'For reference,'} our client and plain fetch were profiled in the same request loop (${CONCURRENCY} in flight, against the same server process), each in a fresh process, with the V8 sampling profiler (node:inspector, 50 µs interval). Self time, not counting callees; frames of the compiled library are mapped back to lib/ source lines. Compare the areas: what our client adds is the difference.`,
        '',
        ...(profiles[0] && profiles[1] ? [profileDiffMarkdown(profiles[0], profiles[1], { ours: 'rx-token-http', floor: 'fetch' }), ''] : []),
        ...profiles.flatMap((p) => [profileMarkdown(p), '']),
      ].join('\n')
    : undefined;
  const missSummary =
    missed && profiles[0] && profiles[1]
      ? `Throughput (${fmt(ours.median, 3)} × fetch, target ${TARGET_RATIO}): ${profileDiffSentence(profiles[0], profiles[1])} Details under "Where the time goes (CPU profile over the network)".`
      : missed
        ? `Throughput (${fmt(ours.median, 3)} × fetch, target ${TARGET_RATIO}): no profile was taken (--profile=never).`
        : undefined;
  return {
    ...(appendix ? { appendix } : {}),
    ...(missSummary ? { missSummary } : {}),
    id: 'throughput',
    title: `Throughput at concurrency ${CONCURRENCY}, valid token`,
    headers: ['client', 'req/s (median ± MAD)', 'ratio to fetch (median [min–max])', 'client CPU µs/req', 'CPU ratio to fetch', 'errors'],
    rows,
    notes: [
      `${run.rounds} rounds of ${run.roundMs} ms per client after a discarded warm-up round; in each round every client runs once, ${CONCURRENCY} requests in flight; fetch and rx-token-http run back to back (fetch first in even rounds, ours first in odd ones), the others after them in rotating order (GET ${PATH}, JSON body read). The ratio is taken within each round (client ÷ fetch of the same round), then the median over rounds; the range shows the noise of a shared machine.`,
      cpuBound(clients, samples, ratios),
      'The server (scripts/oauth2-server.ts) runs in a child process on the other core. "client CPU µs/req" is this process\'s user+system CPU time per request (process.cpuUsage): the client\'s own cost, which the req/s figure partly hides when the server is the bottleneck. axios uses its Node http adapter, the others undici\'s fetch.',
    ].filter((note) => note !== ''),
    targets,
  };
}

/**
 * Whether the clients were CPU-bound, read from the run itself: when a client's process is the
 * bottleneck, its rate is the inverse of its CPU per request, so throughput ratio × CPU ratio is
 * about 1 and the throughput target is a CPU target in disguise.
 */
function cpuBound(clients: readonly PeerFactory[], samples: ReadonlyMap<string, readonly ThroughputSample[]>, ratios: ReadonlyMap<string, readonly number[]>): string {
  const floorCpu = median((samples.get(FLOOR.name) ?? []).map((s) => s.cpuMicros));
  const products = clients
    .filter((c) => c !== FLOOR)
    .map((c) => median(ratios.get(c.name) ?? []) * (median((samples.get(c.name) ?? []).map((s) => s.cpuMicros)) / floorCpu))
    .filter(Number.isFinite);
  if (products.length === 0) return '';
  const low = Math.min(...products);
  const high = Math.max(...products);
  return `Throughput ratio × CPU ratio per client: ${fmt(low, 2)}–${fmt(high, 2)} in this run. Near 1, the client process is the bottleneck and its rate is the inverse of its CPU per request: then throughput ≥ ${TARGET_RATIO} × fetch asks for CPU ≤ ${fmt(1 / TARGET_RATIO, 3)} × fetch's, a tighter bound than the CPU target's ${TARGET_CPU_RATIO}.`;
}
