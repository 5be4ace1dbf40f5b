/**
 * Fleet benchmark (issue 10): 8 processes × 100 requests on an expired token, sharing one session
 * through Redis beside 8 processes that share nothing; and the memory of idle sessions on one
 * subscriber connection. Not wired into bench/run.ts yet: `runFleetBench()` returns a Section for
 * it; `tsx bench/fleet.ts` runs it alone and prints the table.
 *
 * Needs redis-server (scripts/ci/setup-redis.sh). Network only to 127.0.0.1; bounded; ends by itself.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Section } from './report.js';
import { connectClient, type Library } from '../scripts/fleet/clients.js';
import { startFleet, stopFleet } from '../scripts/fleet/fleet.js';
import { findRedisServer, startRedisServer } from '../scripts/fleet/redis-server.js';
import { runExpiredFleet, type FleetOutcome } from '../scripts/fleet/scenario.js';

const MEMBERS = 8;
const REQUESTS = 100;
const IDLE_SESSIONS = 1_000;

export interface FleetBenchResult {
  readonly alone: FleetOutcome;
  readonly shared: Readonly<Record<Library, FleetOutcome>>;
  /** Heap bytes per idle shared session (1,000 on one client), per library. */
  readonly bytesPerIdleSession: Readonly<Record<Library, number>>;
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
    result = { alone, shared, bytesPerIdleSession };
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
  const section: Section = {
    id: 'fleet',
    title: `Fleet: ${MEMBERS} processes × ${REQUESTS} requests on an expired token`,
    headers: ['setup', 'token calls', 'reuse detected', 'ok', 'ms to last response', 'Redis commands / request (steady)', 'heap / idle session'],
    rows: [
      row('8 processes, no sharing', result.alone),
      row('shareThroughRedis (redis)', result.shared.redis, result.bytesPerIdleSession.redis),
      row('shareThroughRedis (ioredis)', result.shared.ioredis, result.bytesPerIdleSession.ioredis),
    ],
    notes: [
      `Real processes (child_process.fork, TypeScript through tsx) and a private redis-server on 127.0.0.1 without persistence; the fake OAuth2 server rotates refresh tokens with reuse detection and answers in 50 ms. Median of ${rounds} run(s) for the time.`,
      '"Redis commands / request (steady)": Redis INFO total_commands_processed across a second burst with a valid token, divided by its requests; the target is 0.',
      `"heap / idle session": heap growth per session for ${IDLE_SESSIONS} sessions on one client (after GC), store subscriptions included.`,
    ],
    targets: [
      ...(['redis', 'ioredis'] as const).map((library) => ({
        name: `fleet (${library}): one token call, every request ok, no Redis call per request`,
        met: result.shared[library].tokenCalls === 1 && result.shared[library].ok === result.shared[library].requests && result.shared[library].steadyRedisCommandsPerRequest === 0,
        detail: `${result.shared[library].tokenCalls} token call(s), ${result.shared[library].ok}/${result.shared[library].requests} ok, ${result.shared[library].steadyRedisCommandsPerRequest} commands/request`,
        blocking: true,
      })),
    ],
  };
  return { result, section };
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
