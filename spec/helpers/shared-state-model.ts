import fc from 'fast-check';
import { firstValueFrom, timeout } from 'rxjs';
import { vi } from 'vitest';
import { createHttpClient } from '../../lib/client/create-http-client.js';
import { RxTokenHttpError } from '../../lib/errors/rx-token-http-error.js';
import { TokenRefreshError } from '../../lib/errors/token-refresh-error.js';
import { oauth2RefreshGrant } from '../../lib/oauth2/oauth2-refresh-grant.js';
import { oauth2Revocation } from '../../lib/oauth2/oauth2-revocation.js';
import { createTokenSession, type TokenSession } from '../../lib/session/create-token-session.js';
import type { SessionEvent } from '../../lib/session/session-event.js';
import { shareStore } from '../../lib/session/sharing/share-store.js';
import type { SessionState } from '../../lib/session/token-set.js';
import type { Share } from '../../lib/session/token-store.js';
import { createFakeAuthorizationServer } from '../../lib/testing/fake-authorization-server.js';
import { seededRandom, skewedScheduler } from './model-clock.js';
import { createModelServer, type ModelServer } from './model-server.js';
import { createModelStore, type ModelStore, type Tamper } from './model-store.js';
import { PUBLISH_BOUND } from '../../lib/session/sharing/store-publisher.js';

/** The members' `storeTimeout`. */
const STORE_TIMEOUT = 60;

/*
 * The model of spec/e2e/shared-state.property.spec.ts: several members (tabs, processes) share
 * one session through a store and a lock, under random interleavings. The whole run is on fake
 * timers (one virtual clock for the members, the store's latency and the fake server), with a
 * seeded random source for backoff and store jitter: one seed, one run, so a counterexample
 * replays (PROPERTY_SEED, PROPERTY_PATH; DEBUG_MODEL='<args as JSON>' prints its trace).
 *
 * Issue 21 added paths the members can take, each of which can be toggled (`Paths`), and
 * invariants every run checks. The invariants are collected, not thrown one by one, so a
 * counterexample names every invariant it breaks.
 */

const ORIGIN = 'https://api.example.test';
const SESSIONS = 3;
const START = Date.UTC(2026, 0, 1);
const FAKE_TIMERS = { toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] as ('setTimeout' | 'clearTimeout' | 'setInterval' | 'clearInterval' | 'Date')[], now: START };

/** The paths of issue 21 the model may take. */
export interface Paths {
  /** `dispose()` at once after `setTokens()` / `signOut()` (a sign-in callback or logout route). */
  readonly disposeAfterChange: boolean;
  /** A member already signed out signs out again while another member's sign-in is on its way. */
  readonly signedOutRace: boolean;
  /** Each member's clock is off by up to 3 s. */
  readonly skewedClocks: boolean;
  /** `dispose()` while the member's token call is at the server; the server spends on arrival. */
  readonly disposeDuringCall: boolean;
  /** A read or a change notice answers invalid contents. */
  readonly tamperedStore: boolean;
  /** Members 0 and 1 are given one share object (one connection); disposing one must not break the other. */
  readonly sharedShare: boolean;
}

export const NO_PATHS: Paths = { disposeAfterChange: false, signedOutRace: false, skewedClocks: false, disposeDuringCall: false, tamperedStore: false, sharedShare: false };
export const ALL_PATHS: Paths = { disposeAfterChange: true, signedOutRace: true, skewedClocks: true, disposeDuringCall: true, tamperedStore: true, sharedShare: true };

type Subject = 'ada' | 'bob';
export type Step =
  | { kind: 'request'; member: number; delay: number }
  | { kind: 'sign-in'; member: number; subject: Subject; dispose: boolean }
  | { kind: 'sign-out'; member: number; revoke: boolean; dispose: boolean }
  | { kind: 'restart'; member: number }
  | { kind: 'expire' }
  | { kind: 'fault'; fault: 'network' | 'server-error' }
  | { kind: 'hang'; what: 'read' | 'write' | 'lock' }
  | { kind: 'pause'; ms: number }
  | { kind: 'race'; signedOut: number; signingIn: number; subject: Subject; gap: number }
  | { kind: 'dispose-during-call'; member: number }
  | { kind: 'tamper'; via: 'read' | 'notice'; value: Tamper };

export interface Input {
  readonly steps: Step[];
  readonly tokenDelay: number;
  readonly storeDelay: number;
  /** Each store call waits 0 to 2 ms more, from the seeded random source. */
  readonly storeJitter: boolean;
  readonly refreshAhead: boolean;
  /** Every access token the server issues has expired when it arrives (expires_in 0). */
  readonly deadOnArrival: boolean;
  /** Each member's clock offset, ms. */
  readonly skews: number[];
  /** Seeds the backoff and store jitter. */
  readonly seed: number;
}

const member = fc.integer({ min: 0, max: SESSIONS - 1 });
const subject = fc.constantFrom<Subject>('ada', 'bob');
const maybe = (on: boolean) => (on ? fc.boolean() : fc.constant(false));

function stepArbitrary(paths: Paths): fc.Arbitrary<Step> {
  const steps: fc.WeightedArbitrary<Step>[] = [
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('request' as const), member, delay: fc.integer({ min: 0, max: 8 }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('sign-in' as const), member, subject, dispose: maybe(paths.disposeAfterChange) }) },
    // With revoke: RFC 7009 on the refresh token (the fake server revokes its whole family).
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('sign-out' as const), member, revoke: fc.boolean(), dispose: maybe(paths.disposeAfterChange) }) },
    // A tab closed and opened again, or a process restarted: dispose, then a new session joins from the store.
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('restart' as const), member }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('expire' as const) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('fault' as const), fault: fc.constantFrom('network' as const, 'server-error' as const) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('hang' as const), what: fc.constantFrom('read' as const, 'write' as const, 'lock' as const) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('pause' as const), ms: fc.integer({ min: 0, max: 12 }) }) },
  ];
  if (paths.signedOutRace) {
    steps.push({ weight: 2, arbitrary: fc.record({ kind: fc.constant('race' as const), signedOut: member, signingIn: member, subject, gap: fc.integer({ min: 1, max: 4 }) }) });
  }
  if (paths.disposeDuringCall) steps.push({ weight: 2, arbitrary: fc.record({ kind: fc.constant('dispose-during-call' as const), member }) });
  if (paths.tamperedStore) {
    const value = fc.constantFrom<Tamper>('abc', 'infinite', 'unsafe', 'string');
    steps.push({ weight: 2, arbitrary: fc.record({ kind: fc.constant('tamper' as const), via: fc.constantFrom('read' as const, 'notice' as const), value }) });
  }
  return fc.oneof(...steps);
}

export function inputArbitrary(paths: Paths): fc.Arbitrary<Input> {
  return fc.record({
    steps: fc.array(stepArbitrary(paths), { minLength: 1, maxLength: 25 }),
    tokenDelay: fc.integer({ min: 0, max: 4 }),
    storeDelay: fc.integer({ min: 0, max: 3 }),
    storeJitter: fc.boolean(),
    refreshAhead: fc.boolean(),
    deadOnArrival: fc.boolean(),
    skews: paths.skewedClocks ? fc.array(fc.integer({ min: -3_000, max: 3_000 }), { minLength: SESSIONS, maxLength: SESSIONS }) : fc.constant(Array.from({ length: SESSIONS }, () => 0)),
    seed: fc.integer(),
  });
}

/** One session of one member, from its creation to its dispose: `m1.4` is member 1's, the fifth session of the run. */
interface Incarnation {
  readonly label: string;
  readonly slot: number;
  readonly session: TokenSession;
  readonly api: ReturnType<typeof createHttpClient>;
  /** The store connection it uses. */
  readonly connection: string;
  readonly events: { readonly at: number; readonly event: SessionEvent }[];
  readonly createdAt: number;
  disposedAt: number | undefined;
}

/** A sign-in or sign-out once `setTokens()`/`signOut()` returned. */
interface UserChange {
  readonly by: string;
  readonly kind: 'sign-in' | 'sign-out';
  readonly family: string | undefined;
  /** The member's state right after the call: its `signIn` id, when the session has one, names the change. */
  readonly state: SessionState;
  /** The same session made another change after it: only a session's last word must reach the store. */
  superseded: boolean;
  /** When it was made, on the run's event clock. */
  readonly at: number;
}

interface RequestResult {
  readonly id: string;
  readonly by: string;
  /** The member's own latest sign-in or sign-out when the request was made. */
  readonly floor: UserChange | undefined;
  readonly result: unknown;
}

const signInId = (state: SessionState | null | undefined): string | undefined => (state as { signIn?: string } | null | undefined)?.signIn;
const isValidState = (state: unknown): boolean =>
  typeof state === 'object' && state !== null && Number.isSafeInteger((state as SessionState).generation) && (state as SessionState).generation >= 0;
const errorName = (result: unknown) => (result instanceof Error ? result.name : typeof result === 'object' && result !== null && 'ok' in result ? 'ok' : typeof result);

/**
 * Runs one interleaving on fake timers (restored after it); returns every invariant it broke,
 * each tagged (`[rule-18] …`), and a trace of what happened; neither holds a token.
 */
export async function runModel(paths: Paths, input: Input): Promise<{ violations: string[]; trace: string[] }> {
  vi.useFakeTimers(FAKE_TIMERS);
  try {
    return await runInterleaving(paths, input);
  } finally {
    vi.clearAllTimers();
    vi.useRealTimers();
  }
}

async function runInterleaving(paths: Paths, input: Input): Promise<{ violations: string[]; trace: string[] }> {
  const { steps, tokenDelay, storeDelay, storeJitter, refreshAhead, deadOnArrival, skews, seed } = input;
  let clock = 0;
  const tick = () => ++clock;
  const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms);
  const random = seededRandom(seed);
  const violations = new Set<string>();
  const trace: string[] = [];

  const fake = createFakeAuthorizationServer({ tokenDelay, rotateRefreshTokens: true, reuseDetection: true, accessTokenTtl: deadOnArrival ? 0 : 60_000 });
  const server = createModelServer(fake, { spendOnArrival: paths.disposeDuringCall, tick });
  const store = createModelStore(storeDelay, tick, storeJitter ? seededRandom(seed ^ 0x2545f491) : undefined);
  const first = fake.signIn('ada');
  server.issued(first);
  const incarnations: Incarnation[] = [];
  const changes: UserChange[] = [];
  let born = 0;

  const join = (slot: number, tokens: TokenSession['state']['tokens'], share?: { object: Share; connection: string }): Incarnation => {
    const label = `m${slot}.${born++}`;
    const connection = share ?? (() => {
      const own = store.connect(label);
      return { object: shareStore(own.store, own.lock), connection: label };
    })();
    const fetch = server.fetchFor(label);
    const session = createTokenSession({
      tokens,
      refresh: oauth2RefreshGrant({ tokenUrl: `${ORIGIN}/oauth/token`, fetch }),
      revoke: oauth2Revocation({ revocationUrl: `${ORIGIN}/oauth/revoke`, fetch }),
      refreshRetry: { maxRetries: 1, baseDelay: 1, maxDelay: 4, random },
      refreshTimeout: 150,
      refreshDeadline: 300,
      storeTimeout: STORE_TIMEOUT,
      refreshAhead,
      scheduler: skewedScheduler(skews[slot]!),
      share: connection.object,
    });
    const api = createHttpClient({ baseUrl: `${ORIGIN}/api`, session, fetch, retry: false });
    const incarnation: Incarnation = { label, slot, session, api, connection: connection.connection, events: [], createdAt: tick(), disposedAt: undefined };
    session.events$.subscribe((event) => incarnation.events.push({ at: tick(), event }));
    incarnations.push(incarnation);
    return incarnation;
  };

  // Members 0 and 1 may be given one share object (as an app that builds its session config once).
  const members: Incarnation[] = [];
  const together = paths.sharedShare ? store.connect('m0+m1') : undefined;
  const sharedObject = together ? { object: shareStore(together.store, together.lock), connection: together.label } : undefined;
  for (let slot = 0; slot < SESSIONS; slot++) {
    const tokens = slot === 0 ? { accessToken: first.accessToken, refreshToken: first.refreshToken } : null;
    if (sharedObject && slot < 2) {
      try {
        members.push(join(slot, tokens, sharedObject));
        continue;
      } catch (error) {
        // Refusing the second session with a clear error is one of the two answers the issue allows.
        if (!(error instanceof TypeError)) violations.add(`[shared-refused] one share object for two sessions: refused with ${errorName(error)}, not a TypeError`);
        trace.push(`m${slot}: the shared share object was refused (${(error as Error).message})`);
      }
    }
    members.push(join(slot, tokens));
  }
  // The config's tokens are not a user change: a member that starts adopts what another wrote first.

  // The latest sign-in or sign-out each member made itself: its requests never carry a sign-in the store put before it.
  const ownLatest: (UserChange | undefined)[] = members.map(() => undefined);
  let requests = 0;
  let signActions = 0;
  let revocations = 0; // sign-outs with revoke
  const pending: Promise<RequestResult>[] = [];
  let settled = 0;

  const rejoin = (slot: number) => {
    const old = members[slot]!;
    old.session.dispose();
    old.disposedAt = tick();
    members[slot] = join(slot, null);
    ownLatest[slot] = undefined;
  };
  const recordChange = (incarnation: Incarnation, kind: UserChange['kind'], family: string | undefined) => {
    for (const change of changes) if (change.by === incarnation.label) change.superseded = true;
    const change: UserChange = { by: incarnation.label, kind, family, state: incarnation.session.state, superseded: false, at: tick() };
    changes.push(change);
    ownLatest[incarnation.slot] = change;
    trace.push(`${incarnation.label} ${kind}${family ? ` ${family}` : ''}`);
  };
  const request = (slot: number, delay: number) => {
    const id = String(++requests);
    const { api, label } = members[slot]!;
    const floor = ownLatest[slot];
    // A hang shows up as rxjs's TimeoutError (not an RxTokenHttpError) and breaks the first invariant.
    const result = firstValueFrom(api.get('/item', { params: { id, delay } }).pipe(timeout(5_000))).then(
      (value: unknown) => ({ id, by: label, floor, result: value }),
      (error: unknown) => ({ id, by: label, floor, result: error }),
    );
    pending.push(result.finally(() => settled++));
  };
  const signIn = (slot: number, who: Subject) => {
    const issued = fake.signIn(who);
    server.issued(issued);
    const family = server.familyOf(issued.accessToken)!;
    signActions++;
    members[slot]!.session.setTokens({ accessToken: issued.accessToken, refreshToken: issued.refreshToken });
    recordChange(members[slot]!, 'sign-in', family);
  };
  const signOut = (slot: number, revoke: boolean) => {
    signActions++;
    if (revoke) revocations++;
    members[slot]!.session.signOut({ revoke });
    recordChange(members[slot]!, 'sign-out', undefined);
  };
  const checkAdopted = (when: string) => {
    for (const { label, session } of members) {
      if (!isValidState(session.state)) violations.add(`[tamper-adopted] tampered state adopted: ${label} holds generation ${String((session.state as SessionState | undefined)?.generation ?? session.state)} (${when})`);
    }
  };

  const random$ = vi.spyOn(Math, 'random').mockImplementation(random);
  try {
    for (const [index, s] of steps.entries()) {
      if (s.kind === 'request') {
        request(s.member, s.delay);
      } else if (s.kind === 'sign-in') {
        signIn(s.member, s.subject);
        if (s.dispose) rejoin(s.member);
        // Sign-ins are human-paced: two in the same millisecond have no order to keep.
        await advance(2);
      } else if (s.kind === 'sign-out') {
        signOut(s.member, s.revoke);
        if (s.dispose) rejoin(s.member);
        await advance(2);
      } else if (s.kind === 'restart') {
        // Its requests still out fail as disposed; the new session has made no sign-in of its own.
        rejoin(s.member);
      } else if (s.kind === 'expire') {
        fake.expireAccessTokens();
      } else if (s.kind === 'fault') {
        fake.failTokenRequests(1, s.fault);
      } else if (s.kind === 'hang') {
        store.hang.next = s.what;
      } else if (s.kind === 'pause') {
        await advance(s.ms);
      } else if (s.kind === 'race') {
        // The member signs out and that reaches the store; later, while another member's sign-in
        // is on its way to the store, it signs out again: it is signed out already, the store is not.
        const other = s.signingIn === s.signedOut ? (s.signedOut + 1) % SESSIONS : s.signingIn;
        signOut(s.signedOut, false);
        await advance(20);
        signIn(other, s.subject);
        await advance(s.gap);
        signOut(s.signedOut, false);
        await advance(2);
      } else if (s.kind === 'dispose-during-call') {
        // Its next token call reaches the server, then the member is disposed (a tab closed, a
        // process stopped): the server has spent the refresh token it was sent.
        const target = members[s.member]!;
        server.onNextTokenCall(target.label, () => {
          if (members[s.member] === target) rejoin(s.member);
        });
        fake.expireAccessTokens();
        request(s.member, 0);
      } else {
        if (s.via === 'read') store.tamperNextRead(s.value);
        else store.tamperNotice(s.value);
      }
      checkAdopted(`after step ${index}`);
    }
    // Every request settles in bounded time; then refreshes, sign-in writes and change notices finish.
    for (let waited = 0; settled < pending.length && waited < 6_000; waited += 10) await advance(10);
    await advance(600);
    store.hang.next = undefined;
    await advance(600);
  } finally {
    random$.mockRestore();
  }
  const results = await Promise.all(pending);
  checkAdopted('at the end');

  const stored = store.current();
  const describeState = (state: SessionState | null | undefined) =>
    isValidState(state) ? `g${state!.generation} ${state!.change}${state!.revoked ? ' revoked' : ''} ${server.label(state!.tokens?.accessToken) || 'signed-out'}` : `invalid ${String(state)}`;
  for (const write of store.history) trace.push(`store <- ${write.by}: ${describeState(write.state)}`);
  for (const p of server.presentations) trace.push(`token call by ${p.by} with ${p.token}: ${p.granted === undefined ? 'no answer' : p.granted ? 'granted' : 'refused'}`);
  for (const r of results) trace.push(`request ${r.id} (${r.by}) sent [${(server.attempts.get(r.id) ?? []).join(', ')}] -> ${errorName(r.result)}`);
  for (const { label, events } of incarnations) {
    for (const { at, event } of events) {
      const detail = 'generation' in event ? ` g${event.generation}` : '';
      trace.push(`${label} @${at} ${event.type}${detail}${'change' in event ? ` ${event.change}` : ''}${'origin' in event ? ` (${event.origin})` : ''}${'error' in event ? `: ${event.error.message}` : ''}`);
    }
  }
  for (const { label, session } of members) trace.push(`${label} ends ${describeState(session.state)}`);
  trace.push(`store ends ${describeState(stored)}`);

  // --- The invariants of earlier rounds ---
  // Every request settled with a value or a typed error. No refresh token was spent twice, and
  // no family was revoked but by a sign-out that asked for it: only then may a request end revoked.
  for (const { id, result } of results) {
    if (!(typeof result === 'object' && result !== null && 'ok' in result) && !(result instanceof RxTokenHttpError)) violations.add(`[settle] request ${id} did not settle with a value or a typed error: ${errorName(result)}`);
  }
  if (revocations === 0) for (const { id, result } of results) if (errorName(result) === 'TokenRevokedError') violations.add(`[revoked] request ${id} ended revoked, though no sign-out revoked anything`);
  if (fake.stats.reuseDetected > 0) violations.add(`[reuse] the server detected refresh-token reuse ${fake.stats.reuseDetected} time(s)`);
  // Counted by the families sign-outs revoked at the revocation endpoint (RFC 7009), not by the
  // sign-outs: one sign-out revokes both the refresh token it holds and the one a refresh it cut
  // short brings back, which belongs to another sign-in when the member held a stale one (a
  // tampered first read leaves a member on its config tokens).
  if (fake.stats.revokedFamilies > server.revokedByClient.size) violations.add(`[revoked-families] ${fake.stats.revokedFamilies} families revoked, ${server.revokedByClient.size} of them by sign-outs with revoke`);
  // A request never carried the token of a sign-in older than its member's own latest sign-in or
  // sign-out. "Older" is the store's order (DESIGN rule 18: the store orders changes, not the
  // members), no longer the order of the calls; a change the store never got is lost-change's.
  for (const { id, floor } of results) {
    const family = (server.attempts.get(id) ?? []).at(-1)?.split('/')[0];
    const own = floor ? storePosition(store, server, floor) : -1;
    const carried = family ? store.history.findIndex(({ state }) => isValidState(state) && server.familyOf(state.tokens?.accessToken) === family) : -1;
    if (own >= 0 && carried >= 0 && carried < own) violations.add(`[floor] request ${id} carried ${family}, older in the store than its member's own latest ${floor!.kind}`);
  }
  // Expired-on-arrival tokens never make refreshes run away: each needs a request (or a sign-in) behind it.
  // A member whose clock runs behind the server's stamps the dead tokens it refreshes with its own
  // clock, so to a member with the right time they look alive until they are past expiry: its
  // refresh-ahead then refreshes them once more (the new ones, stamped right, arm nothing). One
  // grant more is allowed for each refresh such a member wrote.
  // (`by` names a member, `m2.1`, or the members sharing one connection, `m0+m1`.)
  const slowClock = (by: string) => [...by.matchAll(/m(\d+)/g)].some(([, slot]) => (skews[Number(slot)] ?? 0) < 0);
  const slowClockRefreshes = store.history.filter((w) => w.state?.change === 'refresh' && slowClock(w.by)).length;
  if (fake.stats.refreshGrants > requests + signActions + 1 + slowClockRefreshes) violations.add(`[runaway] ${fake.stats.refreshGrants} refresh grants for ${requests} requests and ${signActions} sign-ins/outs`);
  // In the end every member holds what the store holds. Only the tampered path makes a read fail:
  // a member whose first read was refused (and reported) starts from its own tokens without
  // writing them, as after any failed read, until its first refresh reads again under the lock.
  const agreeing = members.filter(({ events }) => !events.some(({ event }) => event.type === 'store-failed' && event.operation === 'read'));
  for (const { label, session } of agreeing) {
    if (JSON.stringify(session.state?.tokens) !== JSON.stringify(stored?.tokens ?? session.state?.tokens)) violations.add(`[agreement] ${label} ends apart from the store`);
  }
  if (new Set(agreeing.map(({ session }) => JSON.stringify(session.state?.tokens))).size > 1) violations.add('[agreement] the members end apart from each other');

  // --- Issue 21 ---
  checkNoChangeLost(changes, store, server, violations);
  checkRule18(server, violations);
  checkNothingSpentTwice(server, violations);
  checkTamperReported(store, incarnations, results, violations);
  for (const call of store.callsAfterDispose) violations.add(`[disposed-connection] a disposed store connection was used: ${call}`);

  for (const { session } of members) session.dispose();
  return { violations: [...violations], trace };
}

/**
 * Where a user change is in the store's history (-1: not there). A sign-in is matched by its
 * `signIn` id when the session names its sign-ins (`SessionState.signIn`, kept by refreshes),
 * else by its family (one per sign-in). A sign-out is matched by its id, or by any sign-out the
 * store accepted after it was made: two sign-outs store the same state, and a member may take
 * another's identical write for its own; what must not happen is that no sign-out reaches the
 * store after the user asked for one (issue 21, item 2b).
 */
function storePosition(store: ModelStore, server: ModelServer, change: UserChange): number {
  const id = signInId(change.state);
  return store.history.findIndex(({ state, at }) => {
    if (!isValidState(state)) return false;
    // With sign-in ids (rule 18) a change is found by its own id only: a sign-out the same member
    // replaced before it was written is not "stored" as another member's later sign-out.
    if (id !== undefined) return signInId(state) === id;
    if (change.kind === 'sign-in') return id === undefined && server.familyOf(state.tokens?.accessToken) === change.family;
    return state.change === 'sign-out' && state.tokens === null && !state.revoked && at > change.at;
  });
}

/**
 * No sign-in or sign-out lost once `setTokens()`/`signOut()` returned: each (but one the same
 * session replaced before it was written) is in the store's history, and the store ends in a
 * state that descends from the last user change in the store's order (refreshed since, or
 * revoked because a sign-out asked the server to).
 */
function checkNoChangeLost(changes: readonly UserChange[], store: ModelStore, server: ModelServer, violations: Set<string>): void {
  for (const change of changes) {
    if (!change.superseded && storePosition(store, server, change) < 0) violations.add(`[lost-change] ${change.kind}${change.family ? ` ${change.family}` : ''} by ${change.by} never reached the store`);
  }
  const last = [...store.history].reverse().find(({ state }) => isValidState(state) && (state.change === 'sign-in' || state.change === 'sign-out'))?.state;
  const final = store.current();
  if (!last || !isValidState(final)) return;
  if (last.change === 'sign-out') {
    if (final!.tokens !== null) violations.add(`[last-change] the last user change in the store is a sign-out, but the store ends with ${server.familyOf(final!.tokens.accessToken)}`);
    return;
  }
  const family = server.familyOf(last.tokens?.accessToken);
  const endFamily = server.familyOf(final!.tokens?.accessToken);
  const revokedOnPurpose = final!.tokens === null && final!.revoked && family !== undefined && server.revokedByClient.has(family);
  if (endFamily !== family && !revokedOnPurpose) violations.add(`[last-change] the last user change in the store is sign-in ${family}, but the store ends with ${endFamily ?? (final!.revoked ? 'a revocation' : 'no tokens')}`);
}

/** Rule 18: a request first sent with one sign-in's token is never sent again with another's. */
function checkRule18(server: ModelServer, violations: Set<string>): void {
  for (const [id, sent] of server.attempts) {
    const families = sent.filter(Boolean).map((label) => label.split('/')[0]);
    const changed = families.find((family) => family !== families[0]);
    if (changed !== undefined) violations.add(`[rule-18] request ${id} was sent with ${families[0]}, then with ${changed}`);
  }
}

/**
 * No refresh token presented after it was spent: a presentation of a token the server already
 * granted (rotated out) is a violation, unless the family was revoked on purpose (a sign-out with
 * revoke) before it, which the server answers `invalid_grant` anyway.
 */
function checkNothingSpentTwice(server: ModelServer, violations: Set<string>): void {
  server.presentations.forEach((p, i) => {
    const spent = server.presentations.slice(0, i).find((q) => q.token === p.token && q.granted === true);
    if (!spent) return;
    const revokedAt = p.family === undefined ? undefined : server.revokedByClient.get(p.family);
    if (revokedAt !== undefined && revokedAt < p.at) return;
    violations.add(`[spent-twice] refresh token ${p.token} presented by ${p.by} after ${spent.by} spent it`);
  });
}

/** Invalid store contents that reached a live session are reported: `store-failed`, or a refresh or request failing with reason `store-failed`. */
function checkTamperReported(store: ModelStore, incarnations: readonly Incarnation[], results: readonly RequestResult[], violations: Set<string>): void {
  const sharedStateError = (error: unknown) => error instanceof TokenRefreshError && error.reason === 'store-failed';
  for (const delivery of store.tampered) {
    const live = incarnations.filter((i) => i.connection === delivery.connection && i.createdAt < delivery.at && (i.disposedAt === undefined || i.disposedAt > delivery.at));
    if (live.length === 0) continue;
    // A sign-in or sign-out outlives its session's dispose() (bounded by PUBLISH_BOUND storeTimeouts):
    // a read it makes then may be the one tampered with, and a disposed session has no events$ left
    // to say so on. The model's connection cannot tell which session read, so such reads are let go.
    const outliving = incarnations.some((i) => i.connection === delivery.connection && i.disposedAt !== undefined && i.disposedAt <= delivery.at && delivery.at - i.disposedAt <= PUBLISH_BOUND * STORE_TIMEOUT);
    if (delivery.via === 'read' && outliving) continue;
    const reported = live.some(
      (i) =>
        i.events.some(({ at, event }) => at > delivery.at && (event.type === 'store-failed' || (event.type === 'refresh-failed' && sharedStateError(event.error)))) ||
        results.some((r) => r.by === i.label && sharedStateError(r.result)),
    );
    if (!reported) violations.add(`[tamper-reported] tampered ${delivery.via} (${delivery.kind}) reached ${delivery.connection} and was not reported`);
  }
}

