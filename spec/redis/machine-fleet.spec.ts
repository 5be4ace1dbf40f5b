// Issue 24's fleet proof: 8 real processes (child_process.fork) each holding a machine session
// (`tokens: 'fetch'`, the client credentials grant) shared through a real redis-server under one
// key, against oidc-provider on 127.0.0.1 in this process (2 s tokens). The fleet makes one token
// call per expiry, not one per process; a process killed while it holds the lock delays the
// others by at most the lease.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, startWorker, stopFleet, type FleetWorker } from '../../scripts/fleet/fleet.js';
import type { BurstResult, WorkerCommand, WorkerState } from '../../scripts/fleet/protocol.js';
import { redisSpecsEnabled, startRedisServer, type TestRedisServer } from '../../scripts/fleet/redis-server.js';
import { API_RESOURCE, CLIENTS, startOidcProvider, type RunningProvider } from '../oidc/oidc-provider-fixtures.js';

const FLEET = 8;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sum = (results: readonly BurstResult[]) => ({
  ok: results.reduce((n, r) => n + r.ok, 0),
  failed: results.reduce((n, r) => n + r.failed, 0),
  sample: results.find((r) => r.sample)?.sample,
});

describe.runIf(redisSpecsEnabled())('a fleet of 8 processes sharing one machine session through Redis', () => {
  let redis: TestRedisServer;
  let provider: RunningProvider;
  let workers: FleetWorker[] = [];
  let n = 0;

  beforeAll(async () => {
    [redis, workers, provider] = await Promise.all([startRedisServer(), startFleet(FLEET), startOidcProvider()]);
  }, 60_000);
  afterEach(async () => {
    workers = await Promise.all(workers.map((w) => (w.process.exitCode === null && w.process.signalCode === null ? w : startWorker())));
  }, 30_000);
  afterAll(async () => {
    await stopFleet(workers);
    await Promise.all([redis?.stop(), provider?.close()]);
  }, 30_000);

  /** Starts a machine session in `worker` on `key`: client_secret_basic, scope and resource of the API. */
  const init = (worker: FleetWorker, key: string, extra: Partial<Extract<WorkerCommand, { type: 'init' }>> = {}) =>
    worker.send<WorkerState>({
      type: 'init',
      library: 'redis',
      redisUrl: redis.url,
      key,
      apiUrl: provider.apiUrl,
      tokenUrl: provider.tokenUrl,
      clientCredentials: { ...CLIENTS.basic, scope: 'api:read', resource: API_RESOURCE },
      ...extra,
    });
  const burstAll = (count: number, members = workers) => Promise.all(members.map((w) => w.send<BurstResult>({ type: 'burst', count })));
  const states = (members = workers) => Promise.all(members.map((w) => w.send<WorkerState>({ type: 'state' })));

  it('8 processes × 5 requests every 250 ms for 8 s: one client_credentials call per expiry for the whole fleet, every request succeeds', async () => {
    const key = `machine:partner-api:${++n}`;
    await Promise.all(workers.map((w) => init(w, key)));
    const before = provider.tokenCalls.length;

    const started = Date.now();
    const waves: Promise<BurstResult[]>[] = [];
    for (let wave = 0; wave < 32; wave++) {
      waves.push(burstAll(5));
      await sleep(250);
    }
    const total = sum((await Promise.all(waves)).flat());
    const elapsed = Date.now() - started;

    expect(total, total.sample).toMatchObject({ ok: FLEET * 5 * 32, failed: 0 });
    const calls = provider.tokenCalls.slice(before);
    expect(new Set(calls.map((c) => `${c.grantType} ${c.clientId} ${c.status} ${c.auth}`))).toEqual(new Set([`client_credentials ${CLIENTS.basic.clientId} 200 basic`]));
    // The first token, then one per 2 s token renewed a quarter of its life early (1.5 s at the
    // soonest), for the whole fleet: 6 in 8 s, where 8 processes on their own make 8 times that.
    expect(calls.length).toBeLessThanOrEqual(1 + Math.floor(elapsed / 1_500));
    const held = await states();
    expect(new Set(held.map((s) => s.accessToken)).size).toBe(1);
    expect(held.every((s) => s.refreshToken === null && !s.revoked)).toBe(true);
    console.info(`[machine fleet] ${calls.length} client_credentials calls for ${total.ok} requests from 8 processes over ${elapsed} ms (2 s tokens)`);
  }, 60_000);

  it('a process SIGKILLed while it holds the lock (its grant answered, not stored) delays the others at most the lease; one grant more, all succeed', async () => {
    const key = `machine:partner-api:${++n}`;
    const lockTtl = 2_000;
    const [holder, ...others] = workers;
    await init(holder!, key, { lockTtl, holdAfterAnswer: 10_000 });
    await Promise.all(others.map((w) => init(w, key, { lockTtl })));
    const before = provider.tokenCalls.length;

    const answered = new Promise<number>((resolve) => holder!.onNotice((type) => type === 'token-answered' && resolve(Date.now())));
    void holder!.send({ type: 'burst', count: 1 }).catch(() => undefined);
    const answeredAt = await answered;
    holder!.process.kill('SIGKILL');
    await holder!.exited;
    const results = await burstAll(10, others);
    const waited = Date.now() - answeredAt;

    const total = sum(results);
    expect(total, total.sample).toMatchObject({ ok: 70, failed: 0 });
    // The killed holder's grant, then one by a survivor once the lease ran out: no more.
    expect(provider.tokenCalls.slice(before).map((c) => [c.grantType, c.status])).toEqual([
      ['client_credentials', 200],
      ['client_credentials', 200],
    ]);
    // The lock was taken before the grant the holder sent, so the lease ends within `lockTtl` of
    // its answer; the rest is the survivor's own grant and the processes' turns on a loaded machine.
    expect(waited).toBeLessThan(lockTtl + 1_500);
    expect(new Set((await states(others)).map((s) => s.accessToken)).size).toBe(1);
    console.info(`[machine fleet] survivors of a holder killed under the lock served after ${waited} ms (lease ${lockTtl} ms)`);
  }, 60_000);
});
