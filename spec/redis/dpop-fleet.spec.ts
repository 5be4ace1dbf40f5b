// Issue 23's fleet proof of rule 15 (one key per session): real processes (child_process.fork)
// share one user's DPoP-bound session through a real redis-server, each importing the same
// private JWK (`importDpopKey`), against oidc-provider on 127.0.0.1 in this process with DPoP and
// nonces required, 2 s access tokens and rotating refresh tokens. The fleet makes one refresh grant
// per expiry, every one with a proof; a process given another key refuses to refresh and sends
// nothing to the token endpoint (the provider's recorded calls prove it), while the others go on
// and the grant stays alive. On the lib before rule 15 no thumbprint travelled (both fail there),
// and the stranger's refresh went out with its own key's proof, which oidc-provider answers with
// invalid_grant, ending the grant for everyone (spec/oidc/dpop-building-blocks.spec.ts).
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jwkThumbprint } from '../../lib/dpop/jwk-thumbprint.js';
import type { TokenSet } from '../../lib/session/token-set.js';
import { startFleet, stopFleet, type FleetWorker } from '../../scripts/fleet/fleet.js';
import type { BurstResult, WorkerCommand, WorkerState } from '../../scripts/fleet/protocol.js';
import { redisSpecsEnabled, startRedisServer, type TestRedisServer } from '../../scripts/fleet/redis-server.js';
import { CLIENTS, startOidcProvider, type RunningProvider } from '../oidc/oidc-provider-fixtures.js';

const FLEET = 4;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sum = (results: readonly BurstResult[]) => ({
  ok: results.reduce((n, r) => n + r.ok, 0),
  failed: results.reduce((n, r) => n + r.failed, 0),
  failures: results.reduce<Record<string, number>>((all, r) => {
    for (const [label, n] of Object.entries(r.failures)) all[label] = (all[label] ?? 0) + n;
    return all;
  }, {}),
  sample: results.find((r) => r.sample)?.sample,
});

/** A DPoP key as the fleet keeps it: one private JWK (with the fixture's view of it for the sign-in). */
async function fleetKey() {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  return { jwk: (await exportJWK(privateKey)) as JsonWebKey, fixture: { privateKey: privateKey as CryptoKey, publicJwk }, thumbprint: await jwkThumbprint(publicJwk as JsonWebKey) };
}

describe.runIf(redisSpecsEnabled())(`a fleet of ${FLEET} processes sharing one DPoP-bound session through Redis (rule 15)`, () => {
  let redis: TestRedisServer;
  let provider: RunningProvider;
  let workers: FleetWorker[] = [];
  let n = 0;

  beforeAll(async () => {
    [redis, workers, provider] = await Promise.all([startRedisServer(), startFleet(FLEET), startOidcProvider({ dpopNonces: true })]);
  }, 60_000);
  afterAll(async () => {
    await stopFleet(workers);
    await Promise.all([redis?.stop(), provider?.close()]);
  }, 30_000);

  /** Signs a user in with a proof of `key` (the code exchange binds the tokens to it). */
  async function signIn(key: Awaited<ReturnType<typeof fleetKey>>): Promise<TokenSet> {
    const tokens = await provider.signIn({ dpop: key.fixture as { privateKey: CryptoKey; publicJwk: JWK } });
    expect(tokens.tokenType).toBe('DPoP');
    return { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, expiresAt: Date.now() + tokens.expiresIn * 1000, tokenType: 'DPoP' };
  }
  /** Starts the session in `worker` on the shared `redisKey`, with `jwk` as its DPoP key. */
  const init = (worker: FleetWorker, redisKey: string, jwk: JsonWebKey, tokens: TokenSet | null = null) =>
    worker.send<WorkerState>({
      type: 'init',
      library: 'redis',
      redisUrl: redis.url,
      key: redisKey,
      apiUrl: provider.apiUrl,
      tokenUrl: provider.tokenUrl,
      tokens,
      dpop: { jwk, clientId: CLIENTS.public.clientId },
    } satisfies WorkerCommand);
  /** Bursts of `session.token()` in every member: the refresh a request would wait for, without a resource server. */
  const burstAll = (count: number, members = workers) => Promise.all(members.map((w) => w.send<BurstResult>({ type: 'burst', count, tokens: true })));
  const states = (members = workers) => Promise.all(members.map((w) => w.send<WorkerState>({ type: 'state' })));
  const refreshCalls = (since: number) => provider.tokenCalls.slice(since).filter((c) => c.grantType === 'refresh_token');

  it('one key in every process: one refresh grant per expiry for the whole fleet, each with a proof; every burst succeeds, the grant lives', async () => {
    const key = await fleetKey();
    const redisKey = `dpop:alice:${++n}`;
    const signedIn = await signIn(key);
    const [first, ...rest] = workers;
    // The member given the tokens stamps them with its key's thumbprint; the others read them from Redis.
    expect((await init(first!, redisKey, key.jwk, signedIn)).keyThumbprint).toBe(key.thumbprint);
    await Promise.all(rest.map((w) => init(w, redisKey, key.jwk)));
    const before = provider.tokenCalls.length;

    const started = Date.now();
    const waves: Promise<BurstResult[]>[] = [];
    for (let wave = 0; wave < 24; wave++) {
      waves.push(burstAll(5));
      await sleep(250);
    }
    const total = sum((await Promise.all(waves)).flat());
    const elapsed = Date.now() - started;

    expect(total, total.sample).toMatchObject({ ok: FLEET * 5 * 24, failed: 0 });
    const calls = refreshCalls(before);
    const grants = calls.filter((c) => c.status === 200);
    // Nonce challenges spend nothing and are counted apart: at most one per process (each keeps its own nonce memory).
    const challenges = calls.filter((c) => c.status === 400 && c.error === 'use_dpop_nonce');
    expect(calls.length, JSON.stringify(calls)).toBe(grants.length + challenges.length);
    expect(challenges.length).toBeLessThanOrEqual(FLEET);
    expect(calls.every((c) => c.dpop)).toBe(true);
    // 2 s tokens (exp in whole seconds: 1-2 s of life) renewed a quarter of their life early: at
    // least one grant per 2 s, at most one per 0.75 s, for the whole fleet.
    expect(grants.length).toBeGreaterThanOrEqual(Math.floor(elapsed / 2_000) - 1);
    expect(grants.length).toBeLessThanOrEqual(1 + Math.ceil(elapsed / 750));
    const held = await states();
    expect(new Set(held.map((s) => s.accessToken)).size).toBe(1);
    expect(held.every((s) => !s.revoked && s.keyThumbprint === key.thumbprint)).toBe(true);
    expect(await provider.isActive(held[0]!.refreshToken!, 'RefreshToken')).toBe(true);
    console.info(`[dpop fleet] ${grants.length} refresh grants (+${challenges.length} nonce challenges) for ${total.ok} token() calls from ${FLEET} processes over ${elapsed} ms (2 s tokens)`);
  }, 90_000);

  it('a process given another key refuses to refresh (DpopKeyError mismatch), sends nothing to the token endpoint, and does not end the session; the others go on, the grant lives', async () => {
    const [key, other] = await Promise.all([fleetKey(), fleetKey()]);
    const redisKey = `dpop:bob:${++n}`;
    const signedIn = await signIn(key);
    const [first, second, third, stranger] = workers;
    await init(first!, redisKey, key.jwk, signedIn);
    await Promise.all([init(second!, redisKey, key.jwk), init(third!, redisKey, key.jwk)]);
    // The stranger adopts the shared state: the tokens and the thumbprint of the fleet's key.
    expect(await init(stranger!, redisKey, other.jwk)).toMatchObject({ accessToken: signedIn.accessToken, keyThumbprint: key.thumbprint, revoked: false });

    await sleep(Math.max(0, signedIn.expiresAt! - Date.now()) + 200);
    const before = provider.tokenCalls.length;
    const refused = sum(await burstAll(10, [stranger!]));
    expect(refused.failures).toEqual({ 'TokenRefreshError/refresh-function/DpopKeyError': 10 });
    expect(refused.sample).toContain(other.thumbprint);
    expect(refused.sample).toContain(key.thumbprint);
    // Nothing reached the token endpoint: oidc-provider would have answered invalid_grant and revoked the grant.
    expect(provider.tokenCalls.slice(before)).toEqual([]);
    expect((await states([stranger!]))[0]).toMatchObject({ revoked: false, refreshToken: signedIn.refreshToken });

    // The members with the key refresh once, and the session goes on everywhere.
    const served = sum(await burstAll(10, [first!, second!, third!]));
    expect(served, served.sample).toMatchObject({ ok: 30, failed: 0 });
    const calls = refreshCalls(before);
    expect(calls.filter((c) => c.status === 200)).toHaveLength(1);
    expect(calls.every((c) => c.status === 200 || c.error === 'use_dpop_nonce')).toBe(true);
    const held = await states();
    await expect.poll(async () => new Set((await states()).map((s) => s.accessToken)).size).toBe(1);
    expect(held.every((s) => !s.revoked)).toBe(true);
    expect(await provider.isActive(held[0]!.refreshToken!, 'RefreshToken')).toBe(true);

    // At the next expiry the stranger still refuses and sends nothing; the grant is still alive.
    await sleep(2_200);
    const later = provider.tokenCalls.length;
    expect(sum(await burstAll(5, [stranger!])).failures).toEqual({ 'TokenRefreshError/refresh-function/DpopKeyError': 5 });
    expect(provider.tokenCalls.slice(later)).toEqual([]);
    expect(await provider.isActive((await states([first!]))[0]!.refreshToken!, 'RefreshToken')).toBe(true);
  }, 90_000);
});
