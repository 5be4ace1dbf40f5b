// The issue-10 proofs: real processes (child_process.fork) sharing sessions through a real
// redis-server, against a real OAuth2 server on 127.0.0.1 with rotation and reuse detection.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TokenSet } from '../../lib/session/token-set.js';
import { LIBRARIES } from '../../scripts/fleet/clients.js';
import { startFleet, startWorker, stopFleet, type FleetWorker } from '../../scripts/fleet/fleet.js';
import type { BurstResult, RecordedEvent, WorkerState } from '../../scripts/fleet/protocol.js';
import { redisSpecsEnabled, startRedisServer, type TestRedisServer } from '../../scripts/fleet/redis-server.js';
import { startOAuth2Server, type RunningOAuth2Server } from '../../scripts/oauth2-server.js';

const FLEET = 8;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sum = (results: readonly BurstResult[]) => ({
  ok: results.reduce((n, r) => n + r.ok, 0),
  failed: results.reduce((n, r) => n + r.failed, 0),
  failures: results.reduce<Record<string, number>>((all, r) => {
    for (const [k, v] of Object.entries(r.failures)) all[k] = (all[k] ?? 0) + v;
    return all;
  }, {}),
  sample: results.find((r) => r.sample)?.sample,
});

describe.runIf(redisSpecsEnabled()).each(LIBRARIES)('a fleet of %s processes sharing one session through Redis', (library) => {
  let redis: TestRedisServer;
  let workers: FleetWorker[] = [];
  const servers: RunningOAuth2Server[] = [];
  let n = 0;

  beforeAll(async () => {
    [redis, workers] = await Promise.all([startRedisServer(), startFleet(FLEET)]);
  }, 60_000);
  afterEach(async () => {
    // Crash tests kill members: bring the fleet back to full strength for the next test.
    workers = await Promise.all(workers.map((w) => (w.process.exitCode === null && w.process.signalCode === null ? w : startWorker())));
    await Promise.all(servers.splice(0).map((s) => s.close()));
  }, 30_000);
  afterAll(async () => {
    await stopFleet(workers);
    await redis?.stop();
  }, 30_000);

  async function oauth(config: Parameters<typeof startOAuth2Server>[0]): Promise<RunningOAuth2Server> {
    const running = await startOAuth2Server(config);
    servers.push(running);
    return running;
  }

  /** Signs in and starts every member's session on one new key: the first stores the tokens, the rest read them. */
  async function signInFleet(server: RunningOAuth2Server, options: { expired?: boolean; lockTtl?: number; holdAfterAnswer?: number } = {}) {
    const issued = server.server.signIn();
    const tokens: TokenSet = { accessToken: issued.accessToken, refreshToken: issued.refreshToken, expiresAt: options.expired ? Date.now() - 1_000 : issued.expiresAt };
    if (options.expired) server.server.expireAccessTokens();
    const key = `fleet:${library}:${++n}`;
    const init = (worker: FleetWorker, withTokens: boolean) =>
      worker.send<WorkerState>({
        type: 'init',
        library,
        redisUrl: redis.url,
        key,
        apiUrl: server.url,
        tokenUrl: `${server.url}/oauth/token`,
        tokens: withTokens ? tokens : null,
        // The default lease (5 s) unless a crash test shortens it: on a starved CI machine a
        // process can stall past a short lease mid-refresh, and then two refreshes are expected.
        lockTtl: options.lockTtl,
        holdAfterAnswer: options.holdAfterAnswer,
      });
    const first = await init(workers[0]!, true);
    const rest = await Promise.all(workers.slice(1).map((w) => init(w, false)));
    server.server.resetStats();
    return { key, tokens, states: [first, ...rest] };
  }

  const burstAll = (count: number, members = workers) => Promise.all(members.map((w) => w.send<BurstResult>({ type: 'burst', count })));
  const states = (members = workers) => Promise.all(members.map((w) => w.send<WorkerState>({ type: 'state' })));
  const quiesce = async () => {
    for (let i = 0; i < 50; i++) {
      const first = await commandsProcessed();
      await sleep(200);
      if ((await commandsProcessed()) - first === 1) return;
    }
    throw new Error('Redis never went quiet');
  };
  const commandsProcessed = async () => Number(/total_commands_processed:(\d+)/.exec(await redis.command('INFO', 'stats'))?.[1]);

  it('8 processes × 100 requests on an expired token: one token call, 800 of 800 succeed, no reuse; repeated; steady state costs no Redis call', async () => {
    const server = await oauth({ rotateRefreshTokens: true, reuseDetection: true, tokenDelay: 50 });
    const { states: started } = await signInFleet(server, { expired: true });
    expect(new Set(started.map((s) => s.generation))).toEqual(new Set([1])); // everyone started from the store
    for (let round = 1; round <= 2; round++) {
      if (round > 1) server.server.expireAccessTokens(); // the next expiry, learned from 401s this time
      server.server.resetStats();
      const roundStart = Date.now();
      const total = sum(await burstAll(100));
      console.info(`[fleet ${library}] round ${round}: ${Date.now() - roundStart} ms`);
      expect(total, total.sample).toMatchObject({ ok: 800, failed: 0 });
      expect(server.server.stats).toMatchObject({ tokenRequests: 1, refreshGrants: 1, reuseDetected: 0, revokedFamilies: 0 });
      const after = await states();
      expect(new Set(after.map((s) => s.accessToken)).size).toBe(1);
    }
    // Steady state: 800 more requests with a valid token make no Redis command at all. First let
    // the round's trailing lock turns (members that adopted by notice still re-read once) finish.
    await quiesce();
    server.server.resetStats();
    const before = await commandsProcessed();
    const steady = sum(await burstAll(100));
    const after = await commandsProcessed();
    expect(steady).toMatchObject({ ok: 800, failed: 0 });
    expect(after - before - 1).toBe(0); // the INFO that read `before` is the one command counted
    expect(server.server.stats.tokenRequests).toBe(0);
  }, 60_000);

  it('late 401s in any process after the fleet moved on: retried with the new token, no second refresh', async () => {
    const server = await oauth({ rotateRefreshTokens: true, reuseDetection: true, tokenDelay: 20 });
    const { states: before } = await signInFleet(server, { expired: true });
    expect(sum(await burstAll(10)).ok).toBe(80);
    const calls = server.server.stats.tokenRequests;
    const current = await states();
    const late = await Promise.all(workers.map((w) => w.send<{ accessToken: string; generation: number; signIn?: string }>({ type: 'late-401', generation: before[0]!.generation })));
    for (const [i, { accessToken, generation }] of late.entries()) expect({ accessToken, generation }).toEqual({ accessToken: current[i]!.accessToken, generation: current[i]!.generation });
    // One sign-in across the fleet (rule 18): the retry is not refused as another sign-in's.
    expect(new Set(late.map((token) => token.signIn)).size).toBe(1);
    expect(late[0]!.signIn).toEqual(expect.any(String));
    expect(server.server.stats.tokenRequests).toBe(calls);
    expect(server.server.stats.reuseDetected).toBe(0);
  }, 60_000);

  it('holder SIGKILLed before the token endpoint answered: the others go on after the lease, refreshing once with the newest token', async () => {
    const server = await oauth({ rotateRefreshTokens: true, reuseDetection: true, tokenDelay: 800 });
    await signInFleet(server, { expired: true, lockTtl: 2_000 });
    const [holder, ...others] = workers;
    void holder!.send({ type: 'burst', count: 10 }).catch(() => undefined);
    await expect.poll(() => server.server.stats.tokenRequests, { timeout: 10_000, interval: 10 }).toBe(1);
    holder!.process.kill('SIGKILL');
    await holder!.exited;
    const total = sum(await burstAll(100, others));
    expect(total, total.sample).toMatchObject({ ok: 700, failed: 0 });
    // The killed call was dropped before the server decided: one grant, made by a survivor.
    expect(server.server.stats).toMatchObject({ refreshGrants: 1, reuseDetected: 0 });
    expect(new Set((await states(others)).map((s) => s.accessToken)).size).toBe(1);
  }, 60_000);

  it('holder SIGKILLed after the token endpoint answered (token rotated, never stored): a clean revocation everywhere, no hang', async () => {
    const server = await oauth({ rotateRefreshTokens: true, reuseDetection: true, tokenDelay: 20 });
    await signInFleet(server, { expired: true, lockTtl: 2_000, holdAfterAnswer: 5_000 });
    const [holder, ...others] = workers;
    const answered = new Promise<void>((resolve) => holder!.onNotice((type) => type === 'token-answered' && resolve()));
    void holder!.send({ type: 'burst', count: 10 }).catch(() => undefined);
    await answered;
    holder!.process.kill('SIGKILL');
    await holder!.exited;
    const total = sum(await burstAll(100, others));
    // The dead holder spent the refresh token; the survivors' one refresh presents the old one:
    // the server detects reuse and revokes the family, and every process ends revoked.
    expect(total.ok).toBe(0);
    expect(total.failures).toEqual({ TokenRevokedError: 700 });
    expect(server.server.stats).toMatchObject({ refreshGrants: 1, reuseDetected: 1 });
    expect((await states(others)).every((s) => s.revoked && s.accessToken === null)).toBe(true);
  }, 60_000);

  it('a holder paused (SIGSTOP) past its lease cannot overwrite the newer set another process stored, though its late call succeeds', async () => {
    // Without rotation the late call is answered with a valid set, as with a reuse grace period.
    const server = await oauth({ rotateRefreshTokens: false, reuseDetection: false, tokenDelay: 600 });
    await signInFleet(server, { expired: true, lockTtl: 1_000 });
    const [paused, other, observer] = workers;
    const pausedBurst = paused!.send<BurstResult>({ type: 'burst', count: 5 });
    await expect.poll(() => server.server.stats.tokenRequests, { timeout: 10_000, interval: 5 }).toBe(1);
    paused!.process.kill('SIGSTOP');
    try {
      await sleep(2_500); // the lease (1 s) runs out; the server answers the paused process meanwhile
      expect(sum([await other!.send<BurstResult>({ type: 'burst', count: 5 })]).ok).toBe(5);
    } finally {
      paused!.process.kill('SIGCONT');
    }
    const winner = await other!.send<WorkerState>({ type: 'state' });
    expect(sum([await pausedBurst]).ok).toBe(5);
    expect(server.server.stats.refreshGrants).toBe(2); // both token calls succeeded
    // The late result was refused by the fenced write: the paused process adopted the winner's set.
    expect(await paused!.send<WorkerState>({ type: 'state' })).toEqual(winner);
    await expect.poll(() => observer!.send<WorkerState>({ type: 'state' })).toEqual(winner);
  }, 60_000);

  it('sign-out, setTokens and revocation in one process reach the idle others through pub/sub', async () => {
    const server = await oauth({ rotateRefreshTokens: true, reuseDetection: true, tokenDelay: 20 });
    await signInFleet(server);
    const [actor, ...others] = workers;
    const latencies: number[] = [];
    const awaitEverywhere = async (what: string, since: number, matches: (s: WorkerState) => boolean) => {
      await expect.poll(async () => (await states(others)).every(matches), { timeout: 5_000, interval: 20 }).toBe(true);
      const seen = await Promise.all(others.map((w) => w.send<RecordedEvent[]>({ type: 'events' })));
      latencies.push(...seen.map((events) => Math.max(0, ...events.filter((e) => e.origin === 'remote' && e.at >= since).map((e) => e.at - since))));
      return what;
    };
    let t0 = Date.now();
    await actor!.send({ type: 'sign-out' });
    await awaitEverywhere('sign-out', t0, (s) => s.accessToken === null && !s.revoked);

    const next = server.server.signIn();
    t0 = Date.now();
    await actor!.send({ type: 'set-tokens', tokens: next });
    await awaitEverywhere('set-tokens', t0, (s) => s.accessToken === next.accessToken);

    // Revocation: the family is revoked server side; the actor learns it from its refresh.
    server.server.revokeAll();
    t0 = Date.now();
    expect(sum([await actor!.send<BurstResult>({ type: 'burst', count: 1 })]).failures).toEqual({ TokenRevokedError: 1 });
    await awaitEverywhere('revocation', t0, (s) => s.revoked);
    const apiBefore = server.server.stats.apiRequests;
    const afterRevocation = sum(await burstAll(10, others));
    expect(afterRevocation.failures).toEqual({ TokenRevokedError: 70 });
    expect(server.server.stats.apiRequests).toBe(apiBefore); // no network call once revoked
    console.info(`[fleet ${library}] change notices reached the 7 others within ${Math.max(...latencies)} ms (max)`);
  }, 60_000);

  it('Redis stopped mid-run: valid tokens go on, refreshes fail naming Redis, never refresh without the lock; restarted: the fleet recovers', async () => {
    const server = await oauth({ rotateRefreshTokens: true, reuseDetection: true, tokenDelay: 20 });
    await signInFleet(server);
    await redis.stop();
    try {
      expect(sum(await burstAll(20))).toMatchObject({ ok: 160, failed: 0 });
      server.server.expireAccessTokens();
      const down = sum(await burstAll(20));
      expect(down.ok).toBe(0);
      expect(Object.keys(down.failures)).toEqual(['TokenRefreshError/store-failed/RedisSharedStateError']);
      expect(down.sample).toMatch(/Redis/);
      expect(server.server.stats.refreshGrants).toBe(0);
    } finally {
      await redis.start();
    }
    // The clients reconnect by themselves; the first refresh after that stores the set again.
    // Each member's client reconnects on its own schedule; until it has, its refreshes fail fast.
    await expect.poll(async () => sum(await burstAll(1)).ok, { timeout: 15_000, interval: 100 }).toBe(FLEET);
    const back = sum(await burstAll(20));
    expect(back, back.sample).toMatchObject({ ok: 160, failed: 0 });
    expect(server.server.stats).toMatchObject({ refreshGrants: 1, reuseDetected: 0 });
    const all = await states();
    expect(new Set(all.map((s) => s.accessToken)).size).toBe(1);
    expect(await redis.command('HGET', `{fleet:${library}:${n}}:state`, 'd')).toContain(all[0]!.accessToken as string);
  }, 60_000);
});
