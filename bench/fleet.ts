/**
 * Fleet benchmark (issue 10): 8 processes × 100 requests on an expired token, sharing one session
 * through Redis beside 8 processes that share nothing; the memory of idle sessions on one
 * subscriber connection; and (issue 24) machine sessions: 8 processes with the client credentials
 * grant over 8 s of 2 s tokens, token calls per token life through Redis beside a per-process cache. Not wired into bench/run.ts yet: `runFleetBench()` returns a Section for
 * it; `tsx bench/fleet.ts` runs it alone and prints the table.
 *
 * Needs redis-server (scripts/ci/setup-redis.sh). Network only to 127.0.0.1; bounded; ends by itself.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Section } from './report.js';
import { connectClient, type Library } from '../scripts/fleet/clients.js';
import { startFleet, stopFleet } from '../scripts/fleet/fleet.js';
import type { FleetWorker } from '../scripts/fleet/fleet.js';
import type { BurstResult } from '../scripts/fleet/protocol.js';
import { findRedisServer, startRedisServer, type TestRedisServer } from '../scripts/fleet/redis-server.js';
import { startOAuth2Server } from '../scripts/oauth2-server.js';
import { runExpiredFleet, type FleetOutcome } from '../scripts/fleet/scenario.js';

const MEMBERS = 8;
const REQUESTS = 100;
const IDLE_SESSIONS = 1_000;
/** Machine sessions: a token's life, and how long the fleet runs (every 250 ms, 5 requests per process). */
const MACHINE_TTL = 2_000;
const MACHINE_MS = 8_000;

/** What {@link runMachineFleet} measured. */
export interface MachineFleetOutcome {
  readonly tokenCalls: number;
  readonly requests: number;
  readonly ok: number;
  readonly ms: number;
  /** At most one per expiry: the first token, then one per 1.5 s (2 s tokens renewed a quarter of their life early). */
  readonly bound: number;
}

export interface FleetBenchResult {
  readonly alone: FleetOutcome;
  readonly shared: Readonly<Record<Library, FleetOutcome>>;
  /** Heap bytes per idle shared session (1,000 on one client), per library. */
  readonly bytesPerIdleSession: Readonly<Record<Library, number>>;
  /** Machine sessions (node-redis client): each process on its own, and sharing one key. */
  readonly machine: { readonly alone: MachineFleetOutcome; readonly shared: MachineFleetOutcome };
}

export async function runFleetBench(options: { quick?: boolean; log?: (line: string) => void } = {}): Promise<{ result: FleetBenchResult; section: Section }> {
  const log = options.log ?? (() => undefined);
  const rounds = options.quick ? 1 : 3;
  const [redis, workers] = await Promise.all([startRedisServer(), startFleet(MEMBERS)]);
  let result: FleetBenchResult;
  try {
    const best = async (run: (round: number) => Promise<FleetOutcome>) => {
      const outcomes: FleetOutcome[] = [];
      for (let round = 0; round < rounds; round++) outcomes.push(await run(round));
      // Median time to the last response; the counts are the same every round when correct.
      return outcomes.sort((a, b) => a.msToLast - b.msToLast)[Math.floor(outcomes.length / 2)]!;
    };
    log('fleet: 8 processes, no sharing');
    const alone = await best((r) => runExpiredFleet({ workers, redis: undefined, library: 'redis', requestsPerMember: REQUESTS, key: `bench:alone:${r}` }));
    const shared = {} as Record<Library, FleetOutcome>;
    for (const library of ['redis', 'ioredis'] as const) {
      log(`fleet: 8 processes sharing through Redis (${library})`);
      shared[library] = await best((r) => runExpiredFleet({ workers, redis, library, requestsPerMember: REQUESTS, key: `bench:${library}:${r}` }));
    }
    const bytesPerIdleSession = { redis: await idleSessionBytes('redis', redis.url), ioredis: await idleSessionBytes('ioredis', redis.url) };
    log('fleet: machine sessions, 8 processes on their own, then sharing through Redis');
    const machine = { alone: await runMachineFleet(workers, undefined, 'bench:machine:alone'), shared: await runMachineFleet(workers, redis, 'bench:machine:shared') };
    result = { alone, shared, bytesPerIdleSession, machine };
  } finally {
    await stopFleet(workers);
    await redis.stop();
  }
  const row = (name: string, o: FleetOutcome, bytes?: number) => [
    name,
    String(o.tokenCalls),
    String(o.reuseDetected),
    `${o.ok}/${o.requests}`,
    `${o.msToLast}`,
    o.steadyRedisCommandsPerRequest === undefined ? '—' : String(o.steadyRedisCommandsPerRequest),
    bytes === undefined ? '—' : `${(bytes / 1024).toFixed(1)} KiB`,
  ];
  const machineRow = (name: string, o: MachineFleetOutcome) => [name, `${o.tokenCalls} (${((o.tokenCalls * MACHINE_TTL) / o.ms).toFixed(1)} per token life)`, '—', `${o.ok}/${o.requests}`, `${o.ms}`, '—', '—'];
  const { machine } = result;
  const section: Section = {
    id: 'fleet',
    title: `Fleet: ${MEMBERS} processes × ${REQUESTS} requests on an expired token; machine sessions, ${MACHINE_MS / 1000} s of ${MACHINE_TTL / 1000} s tokens`,
    headers: ['setup', 'token calls', 'reuse detected', 'ok', 'ms to last response', 'Redis commands / request (steady)', 'heap / idle session'],
    rows: [
      row('8 processes, no sharing', result.alone),
      row('shareThroughRedis (redis)', result.shared.redis, result.bytesPerIdleSession.redis),
      row('shareThroughRedis (ioredis)', result.shared.ioredis, result.bytesPerIdleSession.ioredis),
      machineRow('machine session, 8 processes, per-process cache', machine.alone),
      machineRow('machine session, shareThroughRedis (redis)', machine.shared),
    ],
    notes: [
      `Real processes (child_process.fork, TypeScript through tsx) and a private redis-server on 127.0.0.1 without persistence; the fake OAuth2 server rotates refresh tokens with reuse detection and answers in 50 ms. Median of ${rounds} run(s) for the time.`,
      '"Redis commands / request (steady)": Redis INFO total_commands_processed across a second burst with a valid token, divided by its requests; the target is 0.',
      `"heap / idle session": heap growth per session for ${IDLE_SESSIONS} sessions on one client (after GC), store subscriptions included.`,
      `Machine sessions (issue 24): each process holds \`createTokenSession({ tokens: 'fetch', refresh: oauth2ClientCredentialsGrant(…) })\` and sends 5 requests every 250 ms for ${MACHINE_MS / 1000} s; the fake server's client credentials tokens live ${MACHINE_TTL / 1000} s and are renewed a quarter of their life early. "Per-process cache" is the same session without \`share\` (one in-flight grant per process, what a hand-written cache does at best); "ms to last response" is the whole run.`,
    ],
    targets: [
      ...(['redis', 'ioredis'] as const).map((library) => ({
        name: `fleet (${library}): one token call, every request ok, no Redis call per request`,
        met: result.shared[library].tokenCalls === 1 && result.shared[library].ok === result.shared[library].requests && result.shared[library].steadyRedisCommandsPerRequest === 0,
        detail: `${result.shared[library].tokenCalls} token call(s), ${result.shared[library].ok}/${result.shared[library].requests} ok, ${result.shared[library].steadyRedisCommandsPerRequest} commands/request`,
        blocking: true,
      })),
      {
        name: 'machine sessions through Redis: at most one token call per expiry for the fleet, every request ok',
        met: machine.shared.tokenCalls <= machine.shared.bound && machine.shared.ok === machine.shared.requests,
        detail: `${machine.shared.tokenCalls} token call(s) (bound ${machine.shared.bound}; per-process caches: ${machine.alone.tokenCalls}), ${machine.shared.ok}/${machine.shared.requests} ok`,
        blocking: true,
      },
    ],
  };
  return { result, section };
}

/**
 * Machine sessions in every worker on one key, through `redis` or each on its own: 5 requests per
 * process every 250 ms for {@link MACHINE_MS}, against the fake server's client credentials grant.
 */
async function runMachineFleet(workers: readonly FleetWorker[], redis: TestRedisServer | undefined, key: string): Promise<MachineFleetOutcome> {
  const clientCredentials = { clientId: 'bench-machine', clientSecret: 'bench-secret' };
  const oauth = await startOAuth2Server({ ...clientCredentials, accessTokenTtl: MACHINE_TTL, tokenDelay: 20 });
  try {
    const tokenUrl = `${oauth.url}/oauth/token`;
    await Promise.all(workers.map((w) => w.send({ type: 'init', library: 'redis', share: redis !== undefined, redisUrl: redis?.url ?? '', key, apiUrl: oauth.url, tokenUrl, clientCredentials })));
    oauth.server.resetStats();
    const started = Date.now();
    const waves: Promise<BurstResult[]>[] = [];
    while (Date.now() - started < MACHINE_MS) {
      waves.push(Promise.all(workers.map((w) => w.send<BurstResult>({ type: 'burst', count: 5 }))));
      await new Promise((r) => setTimeout(r, 250));
    }
    const results = (await Promise.all(waves)).flat();
    const ms = Date.now() - started;
    return { tokenCalls: oauth.server.stats.tokenRequests, requests: results.length * 5, ok: results.reduce((n, r) => n + r.ok, 0), ms, bound: 1 + Math.floor(ms / 1_500) };
  } finally {
    await oauth.close();
  }
}

/** Heap per idle session, measured in a child with --expose-gc. */
async function idleSessionBytes(library: Library, url: string): Promise<number> {
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), '--idle-child', library, url], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await new Promise((resolve) => child.once('exit', resolve));
  return Number(out.trim());
}

async function idleChild(library: Library, url: string): Promise<void> {
  const { shareThroughRedis } = await import('../lib/redis/index.js');
  const { createTokenSession } = await import('../lib/session/create-token-session.js');
  const gc = (globalThis as { gc?: () => void }).gc!;
  const app = await connectClient(library, url);
  const make = (i: number) =>
    createTokenSession({
      tokens: { accessToken: `at-${i}`, refreshToken: `rt-${i}`, expiresAt: Date.now() + 3_600_000 },
      refresh: () => Promise.reject(new Error('no refresh in this benchmark')),
      storeTimeout: 20_000,
      share: shareThroughRedis({ client: app.client, key: `idle:${library}:${i}` }),
    });
  // Warm up the code paths, then measure.
  const warm = Array.from({ length: 50 }, (_, i) => make(-1 - i));
  await new Promise((r) => setTimeout(r, 500));
  gc();
  const before = process.memoryUsage().heapUsed;
  const sessions = Array.from({ length: IDLE_SESSIONS }, (_, i) => make(i));
  for (let i = 0; i < 100 && !sessions.every((s) => s.state.generation === 1); i++) await new Promise((r) => setTimeout(r, 100));
  gc();
  const after = process.memoryUsage().heapUsed;
  process.stdout.write(`${Math.round((after - before) / IDLE_SESSIONS)}\n`);
  for (const s of [...warm, ...sessions]) s.dispose();
  await app.close();
  process.exit(0);
}

if (process.argv[2] === '--idle-child') {
  await idleChild(process.argv[3] as Library, process.argv[4] as string);
} else if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (!findRedisServer()) {
    console.error('bench/fleet.ts needs redis-server: bash scripts/ci/setup-redis.sh');
    process.exit(1);
  }
  const { section } = await runFleetBench({ quick: process.argv.includes('--quick'), log: (line) => console.error(line) });
  console.log(`\n${section.title}\n`);
  console.log(`| ${section.headers.join(' | ')} |\n| ${section.headers.map(() => '---').join(' | ')} |`);
  for (const row of section.rows) console.log(`| ${row.join(' | ')} |`);
  for (const target of section.targets) console.log(`${target.met ? 'met' : 'MISSED'}: ${target.name} (${target.detail})`);
  process.exit(section.targets.every((t) => t.met) ? 0 : 1);
}
