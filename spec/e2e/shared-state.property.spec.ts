import fc from 'fast-check';
import { NEVER, Observable, firstValueFrom, from, switchMap, tap, timeout, timer, type ObservableInput } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createHttpClient } from '../../lib/client/create-http-client.js';
import { HttpClientError } from '../../lib/errors/http-client-error.js';
import { oauth2RefreshGrant } from '../../lib/oauth2/oauth2-refresh-grant.js';
import { oauth2Revocation } from '../../lib/oauth2/oauth2-revocation.js';
import { createTokenSession, type TokenSession } from '../../lib/session/create-token-session.js';
import type { SessionEvent } from '../../lib/session/session-event.js';
import { shareInMemory } from '../../lib/session/share-in-memory.js';
import { shareStore } from '../../lib/session/share-store.js';
import type { RefreshLock, TokenStore } from '../../lib/session/token-store.js';
import type { SessionState } from '../../lib/session/token-set.js';
import { FakeNetworkFault, createFakeAuthorizationServer } from '../../lib/testing/fake-authorization-server.js';
import { propertyRuns } from '../helpers/property-runs.js';

const ORIGIN = 'https://api.example.test';
const SESSIONS = 3;

type Step =
  | { kind: 'request'; member: number; delay: number }
  | { kind: 'sign-in'; member: number; subject: 'ada' | 'bob' }
  | { kind: 'sign-out'; member: number; revoke?: boolean }
  | { kind: 'restart'; member: number }
  | { kind: 'expire' }
  | { kind: 'fault'; fault: 'network' | 'server-error' }
  | { kind: 'hang'; what: 'read' | 'write' | 'lock' }
  | { kind: 'pause'; ms: number };

const member = fc.integer({ min: 0, max: SESSIONS - 1 });
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('request' as const), member, delay: fc.integer({ min: 0, max: 8 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('sign-in' as const), member, subject: fc.constantFrom('ada' as const, 'bob' as const) }) },
  // With revoke: RFC 7009 on the refresh token (the fake server revokes its whole family).
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('sign-out' as const), member, revoke: fc.boolean() }) },
  // A tab closed and opened again, or a process restarted: dispose, then a new session joins from the store.
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restart' as const), member }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('expire' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('fault' as const), fault: fc.constantFrom('network' as const, 'server-error' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('hang' as const), what: fc.constantFrom('read' as const, 'write' as const, 'lock' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('pause' as const), ms: fc.integer({ min: 0, max: 12 }) }) },
);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A user's change as the property knows it: a sign-in by its token family, a sign-out by its state's `receivedAt`. */
type UserChange = { kind: 'sign-in'; family: string } | { kind: 'sign-out'; receivedAt: number };

/**
 * The shared store and lock, with a few ms of latency and, on demand, one call that never answers.
 * `orderOf` says at which generation the store first took a user's change: the store's order of
 * sign-ins and sign-outs (DESIGN rule 18), which the property holds requests to.
 */
function unreliable(delay: number) {
  const shared = shareInMemory();
  const applied: SessionState[] = [];
  const orderOf = (change: UserChange | undefined): number | undefined => {
    if (change === undefined) return undefined;
    const matches = (state: SessionState) =>
      state.change === change.kind && (change.kind === 'sign-in' ? familyOf(state.tokens?.accessToken) === change.family : state.receivedAt === change.receivedAt && state.tokens === null);
    return applied.find(matches)?.generation;
  };
  const hang = { next: undefined as 'read' | 'write' | 'lock' | undefined };
  const slow = <T>(what: 'read' | 'write', call: () => ObservableInput<T>): Observable<T> => {
    if (hang.next === what) {
      hang.next = undefined;
      return NEVER;
    }
    return timer(delay).pipe(switchMap(() => from(call())));
  };
  const store: TokenStore = {
    read: () => slow('read', () => shared.store.read()),
    write: (next, expected) => slow('write', () => from(shared.store.write(next, expected)).pipe(tap((stored) => stored === next && applied.push(next)))),
    changes$: shared.store.changes$!,
  };
  const lock: RefreshLock = {
    run: (task) => {
      if (hang.next !== 'lock') return shared.lock.run(task);
      hang.next = undefined;
      return NEVER;
    },
  };
  return { store, lock, hang, current: () => shared.current, orderOf };
}

/** The token family (one per sign-in) an access token of the fake server belongs to. */
function familyOf(accessToken: string | undefined | null): string | undefined {
  const payload = accessToken?.split('.')[1];
  if (!payload) return undefined;
  return (JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as { fam?: string }).fam;
}

describe('several sessions sharing a store and a lock, under random interleavings (fast-check)', () => {
  it('never mixes sign-ins, never spends a refresh token twice, settles every request and ends in agreement', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 25 }),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 0, max: 3 }),
        fc.boolean(),
        fc.boolean(),
        async (steps, tokenDelay, storeDelay, refreshAhead, deadOnArrival) => {
          // deadOnArrival: every access token the server issues has expired when it arrives (expires_in 0).
          const fake = createFakeAuthorizationServer({ tokenDelay, rotateRefreshTokens: true, reuseDetection: true, accessTokenTtl: deadOnArrival ? 0 : 60_000 });
          const sent = new Map<string, string>(); // request id -> the access token it finally carried
          const fetchThroughModel: typeof fetch = async (input, init) => {
            const request = new Request(input, init);
            const id = new URL(request.url).searchParams.get('id');
            if (id) sent.set(id, request.headers.get('authorization')?.slice('Bearer '.length) ?? '');
            return fake.handle(request).catch((error: unknown) => {
              throw error instanceof FakeNetworkFault ? new TypeError('fetch failed', { cause: error }) : error;
            });
          };
          const shared = unreliable(storeDelay);
          const first = fake.signIn('ada');
          const events: SessionEvent[] = [];
          const join = (tokens: TokenSession['state']['tokens']): TokenSession => {
            const session = createTokenSession({
              tokens,
              refresh: oauth2RefreshGrant({ tokenUrl: `${ORIGIN}/oauth/token`, fetch: fetchThroughModel }),
              revoke: oauth2Revocation({ revocationUrl: `${ORIGIN}/oauth/revoke`, fetch: fetchThroughModel }),
              refreshRetry: { maxRetries: 1, baseDelay: 1, maxDelay: 4 },
              refreshTimeout: 150,
              refreshDeadline: 300,
              storeTimeout: 60,
              refreshAhead,
              share: shareStore(shared.store, shared.lock),
            });
            session.events$.subscribe((e) => events.push(e));
            return session;
          };
          const sessions = Array.from({ length: SESSIONS }, (_, i) => join(i === 0 ? { accessToken: first.accessToken, refreshToken: first.refreshToken } : null));
          const clientOf = (session: TokenSession) => createHttpClient({ baseUrl: `${ORIGIN}/api`, session, fetch: fetchThroughModel, retry: false });
          const apis = sessions.map(clientOf);
          // The newest sign-in or sign-out each member made itself: its requests must never carry a
          // family whose sign-in the store ordered before it.
          const ownLatest: (UserChange | undefined)[] = sessions.map((_, i) => (i === 0 ? { kind: 'sign-in', family: familyOf(first.accessToken)! } : undefined));
          let requests = 0;
          let signActions = 0;
          let revocations = 0; // sign-outs with revoke, each of which may revoke one family

          const pending: Promise<{ id: string; member: number; floor: UserChange | undefined; result: unknown }>[] = [];
          for (const s of steps) {
            if (s.kind === 'request') {
              const id = String(++requests);
              const floor = ownLatest[s.member]!;
              const request$ = apis[s.member]!.get('/item', { params: { id, delay: s.delay } });
              // A hang shows up as rxjs's TimeoutError (not an HttpClientError) and fails the property.
              pending.push(firstValueFrom(request$.pipe(timeout(5_000))).then((v) => ({ id, member: s.member, floor, result: v }), (e: unknown) => ({ id, member: s.member, floor, result: e })));
            } else if (s.kind === 'sign-in') {
              const issued = fake.signIn(s.subject);
              ownLatest[s.member] = { kind: 'sign-in', family: familyOf(issued.accessToken)! };
              signActions++;
              sessions[s.member]!.setTokens({ accessToken: issued.accessToken, refreshToken: issued.refreshToken });
              // Sign-ins are human-paced: two in the same millisecond have no order to keep.
              await sleep(2);
            } else if (s.kind === 'sign-out') {
              signActions++;
              if (s.revoke) revocations++;
              sessions[s.member]!.signOut({ revoke: s.revoke === true });
              ownLatest[s.member] = { kind: 'sign-out', receivedAt: sessions[s.member]!.state.receivedAt };
              await sleep(2);
            } else if (s.kind === 'restart') {
              // Its requests still out fail as disposed; the new session has made no sign-in of its own.
              sessions[s.member]!.dispose();
              sessions[s.member] = join(null);
              apis[s.member] = clientOf(sessions[s.member]!);
              ownLatest[s.member] = undefined;
            } else if (s.kind === 'expire') {
              fake.expireAccessTokens();
            } else if (s.kind === 'fault') {
              fake.failTokenRequests(1, s.fault);
            } else if (s.kind === 'hang') {
              shared.hang.next = s.what;
            } else {
              await sleep(s.ms);
            }
          }
          const results = await Promise.all(pending);
          shared.hang.next = undefined;
          // Let refreshes, sign-in writes and change notices finish (each is bounded by its deadline).
          await sleep(400);
          if (process.env.DEBUG_MODEL && fake.stats.reuseDetected > 0) console.log(JSON.stringify({ stats: fake.stats, sent: [...sent], stored: shared.current(), states: sessions.map((x) => x.state), events }, null, 1));

          // Every request settled with a value or a typed error. No refresh token was spent twice, and
          // no family was revoked but by a sign-out that asked for it: only then may a request end revoked.
          for (const { result } of results) if (typeof result !== 'object' || result === null || !('ok' in result)) expect(result).toBeInstanceOf(HttpClientError);
          if (revocations === 0) expect(results.map((r) => (r.result as Error).name).filter((name) => name === 'TokenRevokedError')).toEqual([]);
          expect(fake.stats.reuseDetected).toBe(0);
          expect(fake.stats.revokedFamilies).toBeLessThanOrEqual(revocations);

          // A request never carried the token of a sign-in that the store ordered before its member's own
          // latest sign-in or sign-out (issue 21: the store orders them, not the members' clocks nor
          // the order they were made in; one that reaches the store later is the later one).
          for (const { id, floor } of results) {
            const family = familyOf(sent.get(id));
            const floorAt = shared.orderOf(floor);
            const familyAt = family === undefined ? undefined : shared.orderOf({ kind: 'sign-in', family });
            if (floorAt !== undefined && familyAt !== undefined) expect(familyAt).toBeGreaterThanOrEqual(floorAt);
          }

          // Expired-on-arrival tokens never make refreshes run away: each needs a request (or a sign-in) behind it.
          expect(fake.stats.refreshGrants).toBeLessThanOrEqual(requests + signActions + 1);

          // In the end every member holds what the store holds.
          const stored = shared.current();
          for (const session of sessions) expect(session.state.tokens).toEqual(stored?.tokens ?? session.state.tokens);
          expect(new Set(sessions.map((session) => JSON.stringify(session.state.tokens))).size).toBe(1);
          for (const session of sessions) session.dispose();
        },
      ),
      { ...propertyRuns(25), ...(process.env.DEBUG_MODEL ? { examples: [JSON.parse(process.env.DEBUG_MODEL)] } : {}) },
    );
  }, 180_000);
});
