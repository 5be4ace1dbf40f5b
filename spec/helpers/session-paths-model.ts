import fc from 'fast-check';
import { firstValueFrom } from 'rxjs';
import { vi } from 'vitest';
import { createHttpClient } from '../../lib/client/create-http-client.js';
import type { DpopKey } from '../../lib/dpop/dpop-key.js';
import { dpopBinding } from '../../lib/dpop/dpop-binding.js';
import { DpopProofError } from '../../lib/dpop/proof-refusal.js';
import { HttpError } from '../../lib/errors/request-error.js';
import { RxTokenHttpError } from '../../lib/errors/rx-token-http-error.js';
import { oauth2ClientCredentialsGrant } from '../../lib/oauth2/oauth2-client-credentials-grant.js';
import { oauth2RefreshGrant } from '../../lib/oauth2/oauth2-refresh-grant.js';
import { createTokenSession } from '../../lib/session/create-token-session.js';
import { CLOCK_CHECK_INTERVAL } from '../../lib/session/refresh-ahead.js';
import type { SessionEvent } from '../../lib/session/session-event.js';
import { createModelTokenServer, type DpopServer, type TokenFault } from './model-token-server.js';
import { seededRandom } from './model-clock.js';
import { offlineNetwork } from './offline.js';

/*
 * The model of spec/e2e/session-paths.property.spec.ts: one session of either kind (a user's,
 * with a refresh token; a machine's, `tokens: 'fetch'` with the client credentials grant), with
 * or without DPoP (the real `dpopBinding`, a real WebCrypto key) and refresh-ahead, against
 * spec/helpers/model-token-server.ts, under random steps: bursts of requests, expiry, a clock
 * that jumps (sleep: the timers fire late), pauses, token-endpoint faults (`invalid_client`,
 * `invalid_scope`, 503, a reset), DPoP nonces that rotate or storm, the network dropping (with
 * requests started offline), sign-ins and server-side revocation. Fake timers: one virtual clock.
 * Each run returns every invariant it broke, tagged by the DESIGN.md rule.
 */

const ORIGIN = 'https://api.example.test';
const START = Date.UTC(2026, 0, 1);
const TIMEOUT = 15_000;
const REFRESH_RETRY = { maxRetries: 1, baseDelay: 200, maxDelay: 2_000 };

export type Kind = 'user' | 'machine';
export type Step =
  | { kind: 'request'; count: number; delay: number }
  // Every token the server issued expires, `after` ms from now (a retry may meet it: rule 7).
  | { kind: 'expire'; after: number }
  | { kind: 'pause'; ms: number }
  // The machine sleeps: the clock jumps, every timer fires late (rule 17).
  | { kind: 'sleep'; ms: number }
  | { kind: 'token-fault'; fault: TokenFault }
  // The next `count` API attempts answer 503: transient retries between a request's 401s (rule 7).
  | { kind: 'api-fault'; count: number }
  // A new nonce (the next call of that server is challenged once), or a storm: every call challenged for `ms`;
  // `count` requests start right after it.
  | { kind: 'nonce'; server: DpopServer; storm: boolean; ms: number; count: number }
  // The network drops for `ms`; `count` requests start while it is down.
  | { kind: 'offline'; ms: number; count: number }
  | { kind: 'sign-in' }
  | { kind: 'revoke' };

export interface Input {
  readonly kind: Kind;
  /** What the token endpoint answers first, before any step (a machine session's first grant meets it). */
  readonly firstFault: TokenFault | null;
  readonly dpop: boolean;
  readonly refreshAhead: boolean;
  readonly tokenDelay: number;
  /** The share of API attempts answered 503 (seeded by `seed`). */
  readonly apiFailures: number;
  readonly seed: number;
  readonly steps: Step[];
}

/** Which of the new paths the steps may take (each case of the spec turns some on). */
export interface Paths {
  readonly kinds: readonly Kind[];
  readonly dpop: boolean;
  readonly wake: boolean;
  readonly offline: boolean;
}

export function inputArbitrary(paths: Paths): fc.Arbitrary<Input> {
  return fc.record({ kind: fc.constantFrom(...paths.kinds), dpop: paths.dpop ? fc.boolean() : fc.constant(false) }).chain(({ kind, dpop }) => {
    const faults: TokenFault[] = ['network', '503', 'invalid_scope', 'dead', ...(kind === 'machine' ? ['invalid_client' as const] : [])];
    const steps: fc.WeightedArbitrary<Step>[] = [
      { weight: 6, arbitrary: fc.record({ kind: fc.constant('request' as const), count: fc.integer({ min: 1, max: 3 }), delay: fc.integer({ min: 0, max: 2_000 }) }) },
      { weight: 3, arbitrary: fc.record({ kind: fc.constant('expire' as const), after: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 4_000 })) }) },
      { weight: 3, arbitrary: fc.record({ kind: fc.constant('pause' as const), ms: fc.integer({ min: 0, max: 20_000 }) }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('token-fault' as const), fault: fc.constantFrom(...faults) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('api-fault' as const), count: fc.integer({ min: 1, max: 3 }) }) },
    ];
    if (kind === 'user') {
      steps.push({ weight: 1, arbitrary: fc.record({ kind: fc.constant('sign-in' as const) }) });
      steps.push({ weight: 1, arbitrary: fc.record({ kind: fc.constant('revoke' as const) }) });
    }
    if (dpop) {
      const nonce = fc.record({ kind: fc.constant('nonce' as const), server: fc.constantFrom<DpopServer>('authorization', 'resource'), storm: fc.boolean(), ms: fc.integer({ min: 0, max: 3_000 }), count: fc.integer({ min: 0, max: 2 }) });
      steps.push({ weight: 3, arbitrary: nonce });
    }
    if (paths.wake) steps.push({ weight: 2, arbitrary: fc.record({ kind: fc.constant('sleep' as const), ms: fc.integer({ min: 20_000, max: 400_000 }) }) });
    if (paths.offline) steps.push({ weight: 2, arbitrary: fc.record({ kind: fc.constant('offline' as const), ms: fc.integer({ min: 0, max: 30_000 }), count: fc.integer({ min: 0, max: 3 }) }) });
    return fc.record({
      kind: fc.constant(kind),
      firstFault: kind === 'machine' ? fc.option(fc.constantFrom(...faults)) : fc.constant(null),
      dpop: fc.constant(dpop),
      refreshAhead: fc.boolean(),
      tokenDelay: fc.integer({ min: 0, max: 300 }),
      apiFailures: fc.constantFrom(0, 0, 0.3),
      seed: fc.integer(),
      steps: fc.array(fc.oneof(...steps), { minLength: 1, maxLength: 20 }),
    });
  });
}

interface Sent {
  readonly id: string;
  readonly at: number;
  /** A sleep (late timers), a storm or an outage happened while it was out: what may excuse its error. */
  slept: boolean;
  signedIn: boolean;
  offline: boolean;
  settledAt?: number;
  error?: unknown;
}

const FAKE_TIMERS = { toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] as ('setTimeout' | 'clearTimeout' | 'setInterval' | 'clearInterval' | 'Date')[], now: START };

/** Runs one input; returns the violated invariants, each tagged `[rule-N]` (or `[settle]`). */
export async function runModel(input: Input, key: DpopKey): Promise<string[]> {
  vi.useFakeTimers(FAKE_TIMERS);
  const network = offlineNetwork();
  network.online(); // a browser's navigator from the start: requests made before an outage know it too
  const crypto = watchWebCrypto();
  try {
    return await run(input, key, network, crypto.settled);
  } finally {
    crypto.restore();
    network.restore();
    vi.clearAllTimers();
    vi.useRealTimers();
  }
}

/**
 * WebCrypto's signatures and digests settle on the thread pool, outside the fake timers: the
 * virtual clock waits for them (a proof takes no virtual time), or DPoP requests would time out.
 */
function watchWebCrypto() {
  const subtle = globalThis.crypto.subtle;
  const inFlight = new Set<Promise<unknown>>();
  const spies = (['sign', 'digest'] as const).map((name) => {
    const original = subtle[name].bind(subtle) as (...args: unknown[]) => Promise<unknown>;
    return vi.spyOn(subtle, name).mockImplementation(((...args: unknown[]) => {
      const result = original(...args);
      inFlight.add(result);
      void result.finally(() => inFlight.delete(result)).catch(() => undefined);
      return result;
    }) as never);
  });
  return {
    async settled() {
      for (let i = 0; i < 20 && inFlight.size > 0; i++) {
        await Promise.allSettled([...inFlight]);
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
    restore: () => spies.forEach((spy) => spy.mockRestore()),
  };
}

async function run(input: Input, key: DpopKey, network: ReturnType<typeof offlineNetwork>, cryptoSettled: () => Promise<void>): Promise<string[]> {
  const violations: string[] = [];
  const fail = (tag: string, message: string) => violations.push(`[${tag}] ${message}`);
  const server = createModelTokenServer({ dpop: input.dpop, tokenDelay: input.tokenDelay, apiFailures: input.apiFailures, random: seededRandom(input.seed) });
  const dpop = input.dpop ? dpopBinding({ key }) : undefined;
  const tokenUrl = `${ORIGIN}/oauth/token`;
  const grant = input.kind === 'machine' ? oauth2ClientCredentialsGrant({ tokenUrl, fetch: server.fetch, ...(dpop && { dpop }) }) : oauth2RefreshGrant({ tokenUrl, fetch: server.fetch, ...(dpop && { dpop }) });
  let family = 'user-1';
  const signIn = () => {
    const issued = server.signIn(family);
    return { ...issued, expiresAt: Date.now() + 60_000, ...(input.dpop && { tokenType: 'DPoP' as const }) };
  };
  const session = createTokenSession({
    tokens: input.kind === 'machine' ? 'fetch' : signIn(),
    refresh: grant,
    refreshAhead: input.refreshAhead,
    refreshRetry: REFRESH_RETRY,
    ...(dpop && { dpop }),
  });
  if (input.firstFault) server.failTokenCalls(input.firstFault);
  const events: { at: number; event: SessionEvent }[] = [];
  session.events$.subscribe((event) => events.push({ at: Date.now(), event }));
  const api = createHttpClient({ baseUrl: `${ORIGIN}/api`, session, fetch: server.fetch, retry: { maxRetries: 2, baseDelay: 100 }, timeout: TIMEOUT });

  const sent: Sent[] = [];
  let ids = 0;
  const pending = () => sent.filter((s) => s.settledAt === undefined);
  const advance = async (ms: number) => {
    // In slices, so WebCrypto's signatures (which settle outside the fake timers) finish between timers.
    if (!input.dpop) return void (await vi.advanceTimersByTimeAsync(ms));
    for (let left = ms; ; left -= 50) {
      await cryptoSettled();
      await vi.advanceTimersByTimeAsync(Math.min(50, Math.max(0, left)));
      await cryptoSettled();
      if (left <= 50) return;
    }
  };
  const request = (delay: number) => {
    const one: Sent = { id: String(++ids), at: Date.now(), slept: false, signedIn: false, offline: server.offline };
    sent.push(one);
    firstValueFrom(api.get('/item', { params: { id: one.id, delay } })).then(
      () => (one.settledAt = Date.now()),
      (error: unknown) => {
        one.settledAt = Date.now();
        one.error = error;
      },
    );
  };
  const grants = () => server.record.tokenCalls.filter((c) => c.outcome === 'granted').length;
  let signIns = 0;
  let wakesChecked = 0;

  for (const step of input.steps) {
    switch (step.kind) {
      case 'request':
        for (let i = 0; i < step.count; i++) request(step.delay);
        await advance(0);
        break;
      case 'expire':
        if (step.after === 0) server.expireAll();
        else setTimeout(() => server.expireAll(), step.after);
        break;
      case 'pause':
        await advance(step.ms);
        break;
      case 'token-fault':
        server.failTokenCalls(step.fault);
        break;
      case 'api-fault':
        server.failApiCalls(step.count);
        break;
      case 'sign-in':
        family = `user-${++signIns + 1}`;
        pending().forEach((s) => (s.signedIn = true));
        session.setTokens(signIn());
        break;
      case 'revoke':
        server.revokeFamily(family);
        break;
      case 'nonce':
        if (step.storm) server.storm(step.server, true);
        else server.rotateNonce(step.server);
        for (let i = 0; i < step.count; i++) request(0);
        await advance(step.ms);
        server.storm(step.server, false);
        break;
      case 'offline': {
        server.goOffline();
        network.goOffline();
        pending().forEach((s) => (s.offline = true));
        for (let i = 0; i < step.count; i++) request(0);
        await advance(step.ms);
        server.goOnline();
        network.goOnline();
        break;
      }
      case 'sleep': {
        // Rule 17: a due token is refreshed once on wake, by the late timer alone; without refreshAhead, not at all.
        await advance(0);
        const state = session.state;
        const count = (type: SessionEvent['type']) => events.filter((e) => e.event.type === type).length;
        const refreshing = count('refresh-started') > count('refresh-succeeded') + count('refresh-failed');
        // After a failed attempt past expiry refresh-ahead arms nothing (the next request refreshes first): not a wake to check.
        const gaveUp = events.filter((e) => e.event.type.startsWith('refresh-')).at(-1)?.event.type === 'refresh-failed';
        const quiet = !refreshing && !gaveUp && pending().length === 0 && server.pendingFaults === 0 && !state.revoked && state.tokens?.expiresAt !== undefined && state.tokens.expiresAt - state.receivedAt >= 1_000;
        const dueAt = (state.tokens?.expiresAt ?? 0) - Math.min(30_000, ((state.tokens?.expiresAt ?? 0) - state.receivedAt) / 4);
        const started = () => count('refresh-started');
        const [startedBefore, grantsBefore] = [started(), grants()];
        pending().forEach((s) => (s.slept = true));
        vi.setSystemTime(Date.now() + step.ms);
        const window = CLOCK_CHECK_INTERVAL + 2 * input.tokenDelay + 100;
        const [wokeAt, windowEnd] = [Date.now(), Date.now() + window];
        await advance(window);
        const [woke, granted] = [started() - startedBefore, grants() - grantsBefore];
        if (quiet) wakesChecked++;
        if (quiet && !input.refreshAhead && woke !== 0) fail('rule-17', `a wake started ${woke} refreshes without refreshAhead and with no request`);
        if (quiet && input.refreshAhead && dueAt <= wokeAt && (woke !== 1 || granted > 1)) fail('rule-17', `a sleep of ${step.ms} ms past a due token started ${woke} refreshes (${granted} granted) on wake, want exactly 1`);
        if (quiet && input.refreshAhead && dueAt > windowEnd && woke !== 0) fail('rule-17', `a sleep of ${step.ms} ms before the token was due started ${woke} refreshes`);
        break;
      }
    }
  }
  server.goOnline();
  network.goOnline();
  server.storm('authorization', false);
  server.storm('resource', false);
  server.clearFaults();
  for (let i = 0; i < 10 && pending().length > 0; i++) await advance(5_000);
  await advance(1_000);
  if (process.env.DEBUG_MODEL) {
    console.log(events.map((e) => `${e.at - START} ${e.event.type} ${JSON.stringify({ ...e.event, type: undefined, error: undefined })}`).join('\n'));
    console.log(server.record.tokenCalls.map((c) => `call ${c.at - START}..${(c.decidedAt ?? NaN) - START} ${c.outcome} offline=${c.offlinePeriod}`).join('\n'));
  }
  const final = session.state;
  session.dispose();

  checkInvariants({ input, server, sent, events, fail });
  // Rules 4, 17: the newest refresh token is kept through any fault, nonce, sleep or outage.
  if (input.kind === 'user' && !final.revoked) {
    const kept = final.tokens?.refreshToken;
    const newest = server.newest(server.familyOf(kept) ?? '')?.refreshToken;
    if (kept === undefined || kept !== newest) fail('rule-17', `the session kept ${kept === undefined ? 'no refresh token' : 'an old refresh token'}`);
  }
  if (process.env.PROPERTY_STATS) reached(server, events, wakesChecked);
  return violations;
}

/** PROPERTY_STATS=1: how many runs reached each path (is the model exploring them?), read by the spec after each case. */
export const reachedPaths = new Map<string, number>();
function reached(server: ReturnType<typeof createModelTokenServer>, events: readonly { event: SessionEvent }[], wakesChecked: number): void {
  const calls = server.record.tokenCalls;
  const attempts = [...server.record.attempts.values()].flat();
  const paths = {
    runs: true,
    'token nonce challenge': calls.some((c) => c.outcome === 'challenged'),
    'resource nonce challenge': attempts.some((a) => a.outcome === 'challenged'),
    'two challenges in a row (resource)': [...server.record.attempts.values()].some((a) => a.some((x, i) => i > 0 && x.outcome === 'challenged' && a[i - 1]!.outcome === 'challenged')),
    invalid_client: calls.some((c) => c.outcome === 'invalid_client'),
    invalid_scope: calls.some((c) => c.outcome === 'invalid_scope'),
    'session ended': events.some((e) => e.event.type === 'session-revoked'),
    'waited for the network': events.some((e) => e.event.type === 'network-waiting'),
    'refresh offline': calls.some((c) => c.offlinePeriod !== undefined),
    'wake checked': wakesChecked > 0,
    'refresh after a 401': events.some((e) => e.event.type === 'request-retried' && e.event.reason === 'unauthorized'),
  };
  for (const [path, hit] of Object.entries(paths)) if (hit) reachedPaths.set(path, (reachedPaths.get(path) ?? 0) + 1);
}

interface Run {
  readonly input: Input;
  readonly server: ReturnType<typeof createModelTokenServer>;
  readonly sent: readonly Sent[];
  readonly events: readonly { at: number; event: SessionEvent }[];
  readonly fail: (tag: string, message: string) => void;
}

const challengedTwice = (attempts: readonly { outcome?: string }[]) => attempts.length >= 2 && attempts.slice(-2).every((a) => a.outcome === 'challenged');

function checkInvariants({ input, server, sent, events, fail }: Run): void {
  const { record } = server;
  const of = <T extends SessionEvent['type']>(type: T) => events.filter((e): e is { at: number; event: Extract<SessionEvent, { type: T }> } => e.event.type === type);
  const revokedAt = of('session-revoked')[0]?.at;
  // Whether the refresh that failed at `failedAt` met a token call that was not granted (since it started).
  const metTrouble = (failedAt: number) => {
    const startedAt = of('refresh-started').filter((e) => e.at <= failedAt).at(-1)?.at ?? -Infinity;
    return record.tokenCalls.some((c) => c.outcome !== 'granted' && c.decidedAt !== undefined && c.decidedAt >= startedAt && c.decidedAt <= failedAt);
  };
  const retriedUnauthorized = (id: string) => of('request-retried').filter((e) => e.event.reason === 'unauthorized' && new URL(e.event.url).searchParams.get('id') === id).length;

  // Rule 1 (and 2, 14): one refresh per generation; no grant the session did not need; no refresh token spent twice.
  const generations = new Set(of('refresh-started').map((e) => e.event.generation));
  for (const g of generations) {
    const started = of('refresh-started').filter((e) => e.event.generation === g).length;
    const failed = of('refresh-failed').filter((e) => e.event.generation === g).length;
    if (started > failed + 1) fail('rule-1', `generation ${g} started ${started} refreshes with ${failed} failed`);
  }
  record.needless.forEach((n) => fail('rule-2', `a refresh nobody needed: ${n}`));
  if (record.reuseDetected > 0) fail('rule-1', `a refresh token was presented twice (${record.reuseDetected})`);

  for (const s of sent) {
    const attempts = record.attempts.get(s.id) ?? [];
    // Settle: every request ends, with a value or a typed error it has a reason for.
    if (s.settledAt === undefined) {
      fail('settle', `request ${s.id} never settled`);
      continue;
    }
    // Rule 13: within its timeout (a sleep makes every timer late, so those are not timed).
    if (!s.slept && s.settledAt - s.at > TIMEOUT) fail('rule-13', `request ${s.id} took ${s.settledAt - s.at} ms (timeout ${TIMEOUT})`);
    // Rule 7: at most one refresh per request.
    const refreshed = retriedUnauthorized(s.id);
    if (refreshed > 1) fail('rule-7', `request ${s.id} refreshed ${refreshed} times`);
    // Rule 14: one nonce retry per challenge; after a second challenge in a row, nothing more.
    for (let i = 2; i < attempts.length; i++) {
      if (attempts[i - 2]!.outcome === 'challenged' && attempts[i - 1]!.outcome === 'challenged') fail('rule-14', `request ${s.id} was sent again after two nonce challenges in a row`);
    }
    // Rule 17: offline, a request waits for the network: one attempt per outage at most, no retries spent.
    const perOutage = new Map<number, number>();
    for (const a of attempts) if (a.offlinePeriod !== undefined) perOutage.set(a.offlinePeriod, (perOutage.get(a.offlinePeriod) ?? 0) + 1);
    for (const [period, n] of perOutage) if (n > 1) fail('rule-17', `request ${s.id} was sent ${n} times during outage ${period}`);
    // Rule 18: one sign-in per request.
    const families = new Set(attempts.map((a) => a.family).filter(Boolean));
    if (families.size > 1) fail('rule-18', `request ${s.id} carried tokens of ${[...families].join(', ')}`);

    if (s.error === undefined) continue;
    const error = s.error;
    const name = error instanceof Error ? error.name : String(error);
    // rx-token-http/dpop's own error: a second nonce challenge in a row (rule 14), typed by its entry.
    if (error instanceof DpopProofError) {
      if (!(error.reason === 'nonce-repeated' && challengedTwice(attempts))) fail('settle', `request ${s.id} failed with a DpopProofError (${error.reason}) without two challenges in a row`);
      continue;
    }
    if (!(error instanceof RxTokenHttpError)) {
      fail('settle', `request ${s.id} failed with an untyped ${name}`);
      continue;
    }
    const excused =
      (name === 'TokenRevokedError' && revokedAt !== undefined) ||
      // A refresh that failed while it waited, having met a fault, a second nonce challenge or an outage (its deadline).
      (name === 'TokenRefreshError' && of('refresh-failed').some((f) => f.at >= s.at && f.at <= s.settledAt! && metTrouble(f.at))) ||
      // Rule 18: a sign-in while it waited ends it with a typed error.
      (name === 'TokenRefreshError' && s.signedIn) ||
      // Rule 13: an outage or a sleep may outlast the request's timeout.
      (name === 'RequestTimeoutError' && (s.offline || s.slept)) ||
      // A 401 only after the request's one refresh (rule 7), at a second nonce challenge in a row (rule 14: a storm, or a
      // nonce that changed between the challenge and the retry), or for a revoked family.
      (error instanceof HttpError && error.status === 401 && (refreshed === 1 || challengedTwice(attempts) || input.steps.some((st) => st.kind === 'revoke'))) ||
      // 503s its transient retries could not outlast.
      (error instanceof HttpError && error.status === 503 && attempts.at(-1)?.outcome === '503');
    if (!excused) fail('settle', `request ${s.id} failed with ${name}${error instanceof HttpError ? ` ${error.status}` : ''}: ${error.message}`);
  }

  // Rule 14 at the token endpoint: a refresh attempt sends at most two calls (one nonce retry).
  // (An outage's failed attempt spends no retry, so each adds one attempt.)
  const challenged = record.tokenCalls.filter((c) => c.outcome === 'challenged').length;
  const offline = record.tokenCalls.filter((c) => c.offlinePeriod !== undefined).length;
  const online = record.tokenCalls.length - offline;
  const attemptsBound = 2 * (1 + REFRESH_RETRY.maxRetries + offline) * Math.max(1, of('refresh-started').length);
  if (online > attemptsBound) fail('rule-14', `${online} token calls (${challenged} challenged) for ${of('refresh-started').length} refreshes and ${offline} calls offline`);
  // Rule 17: offline, a refresh waits: one call per outage at most (one session, one refresh at a time).
  const offlineCalls = new Map<number, number>();
  for (const c of record.tokenCalls) if (c.offlinePeriod !== undefined) offlineCalls.set(c.offlinePeriod, (offlineCalls.get(c.offlinePeriod) ?? 0) + 1);
  for (const [period, n] of offlineCalls) if (n > 1) fail('rule-17', `${n} token calls during outage ${period}`);

  // Rules 6, 16, 17: only a terminal answer (invalid_grant; a machine's invalid_client) ends a session;
  // invalid_scope, 503s, resets, outages, nonces and sleeps never do.
  if (revokedAt !== undefined && record.terminalAnswers.length === 0) fail('rule-16', 'the session ended without a terminal answer from the token endpoint');
  if (input.kind === 'machine' && record.terminalAnswers.length > 0 && revokedAt === undefined) fail('rule-16', 'a machine session refused with invalid_client did not end');
  if (input.kind === 'machine' && revokedAt !== undefined) {
    const after = record.tokenCalls.filter((c) => c.at > revokedAt).length + [...record.attempts.values()].flat().filter((a) => a.at > revokedAt).length;
    if (after > 0) fail('rule-16', `${after} calls reached the network after the machine session ended`);
  }
}

export { ORIGIN };
