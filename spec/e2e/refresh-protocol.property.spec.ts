import fc from 'fast-check';
import { asyncScheduler, firstValueFrom, tap, timeout, type SchedulerLike } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { oauth2RefreshGrant } from '../../lib/oauth2/oauth2-refresh-grant.js';
import { createHttpClient } from '../../lib/client/create-http-client.js';
import { RxTokenHttpError } from '../../lib/errors/rx-token-http-error.js';
import { HttpError } from '../../lib/errors/request-error.js';
import { createTokenSession } from '../../lib/session/create-token-session.js';
import type { SessionEvent } from '../../lib/session/session-event.js';
import { FakeNetworkFault, createFakeAuthorizationServer } from '../../lib/testing/fake-authorization-server.js';
import { propertyRuns } from '../helpers/property-runs.js';

const ORIGIN = 'https://api.example.test';

type Step =
  // `delay`: the server waits before it checks the token; `hold`: its answer, given at once, takes that long to arrive.
  | { kind: 'request'; method: 'GET' | 'PUT' | 'POST'; delay: number; hold: number }
  | { kind: 'abandon'; delay: number; after: number }
  | { kind: 'expire' }
  | { kind: 'pause'; ms: number }
  | { kind: 'fault'; fault: 'network' | 'server-error' | 'rate-limited' | 'expired' | 'exp-in-past' }
  // The API (not the token endpoint) answers the next `count` requests with a 503 or a reset.
  | { kind: 'api-fault'; fault: '503' | 'reset'; count: number }
  // The server revokes every token family (an admin, a password change): the session must end.
  | { kind: 'revoke' };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('request' as const), method: fc.constantFrom('GET' as const, 'PUT' as const, 'POST' as const), delay: fc.integer({ min: 0, max: 12 }), hold: fc.integer({ min: 0, max: 25 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('abandon' as const), delay: fc.integer({ min: 0, max: 12 }), after: fc.integer({ min: 0, max: 12 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('expire' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('pause' as const), ms: fc.integer({ min: 0, max: 15 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('fault' as const), fault: fc.constantFrom('network' as const, 'server-error' as const, 'rate-limited' as const, 'expired' as const, 'exp-in-past' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('api-fault' as const), fault: fc.constantFrom('503' as const, 'reset' as const), count: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('revoke' as const) }) },
);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the refresh protocol under random interleavings (fast-check)', () => {
  it('never spends a refresh token twice, settles every request with a value or a typed error, and keeps the newest refresh token', async () => {
    await fc.assert(
      // refreshAhead: the timer refresh too; clockSkew: the client's clock runs ahead of (or behind) the server's.
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 30 }), fc.integer({ min: 0, max: 10 }), fc.boolean(), fc.constantFrom(0, 45_000, -45_000, 600_000), async (steps, tokenDelay, refreshAhead, clockSkew) => {
        const clock: SchedulerLike = { now: () => Date.now() + clockSkew, schedule: asyncScheduler.schedule.bind(asyncScheduler) };
        const fake = createFakeAuthorizationServer({ tokenDelay, rotateRefreshTokens: true, reuseDetection: true });
        const apiFaults: ('503' | 'reset')[] = [];
        const events: SessionEvent[] = [];
        // Revocation is terminal: once the session said so, nothing may reach the server in its name.
        let sentAfterRevocation = 0;
        let answeredAfterRevocation = 0;
        const sessionRevoked = () => events.some((e) => e.type === 'session-revoked');
        const fetchThroughModel: typeof fetch = async (input, init) => {
          const request = new Request(input, init);
          if (sessionRevoked()) sentAfterRevocation++;
          const apiFault = new URL(request.url).pathname.startsWith('/api/') ? apiFaults.shift() : undefined;
          if (apiFault === 'reset') throw new TypeError('fetch failed', { cause: new Error('ECONNRESET') });
          if (apiFault === '503') return new Response(null, { status: 503 });
          const response = await fake.handle(request).catch((error: unknown) => {
            throw error instanceof FakeNetworkFault ? new TypeError('fetch failed', { cause: error }) : error;
          });
          const hold = Number(new URL(request.url).searchParams.get('hold') ?? 0);
          if (hold > 0) await sleep(hold);
          return response;
        };
        const issued = fake.signIn();
        const session = createTokenSession({
          tokens: { accessToken: issued.accessToken, refreshToken: issued.refreshToken },
          refresh: oauth2RefreshGrant({ tokenUrl: `${ORIGIN}/oauth/token`, fetch: fetchThroughModel, scheduler: clock }),
          refreshAhead,
          scheduler: clock,
          // Retry-After (1 s on 429) is capped so a run stays short.
          refreshRetry: { maxRetries: 2, baseDelay: 1, maxDelay: 5 },
        });
        session.events$.subscribe((e) => events.push(e));
        // Transient retries on, without waits, so 401s interleave with 503s and resets inside one
        // request; the request's timeout bounds everything (nothing here should come near it).
        const api = createHttpClient({ baseUrl: `${ORIGIN}/api`, session, fetch: fetchThroughModel, retry: { maxRetries: 3, baseDelay: 0 }, timeout: 3_000, scheduler: clock });

        const pending: Promise<unknown>[] = [];
        let ids = 0;
        for (const s of steps) {
          if (s.kind === 'request') {
            const request$ = api.request(s.method, '/item', { params: { id: ++ids, delay: s.delay, hold: s.hold } });
            // A hang shows up as a TimeoutError (not an RxTokenHttpError) and fails the property.
            // A request still out when the session is revoked stops then: no answer reaches the app after.
            const answered$ = request$.pipe(tap(() => sessionRevoked() && answeredAfterRevocation++));
            pending.push(firstValueFrom(answered$.pipe(timeout(5_000))).then(() => 'ok', (error: unknown) => error));
          } else if (s.kind === 'abandon') {
            const subscription = api.get('/abandoned', { params: { delay: s.delay } }).subscribe({ error: () => undefined });
            setTimeout(() => subscription.unsubscribe(), s.after);
          } else if (s.kind === 'expire') {
            fake.expireAccessTokens();
          } else if (s.kind === 'fault') {
            fake.failTokenRequests(1, s.fault);
          } else if (s.kind === 'revoke') {
            fake.revokeAll();
          } else if (s.kind === 'api-fault') {
            for (let i = 0; i < s.count; i++) apiFaults.push(s.fault);
          } else {
            await sleep(s.ms);
          }
        }
        const results = await Promise.all(pending);
        // Let abandoned requests' refreshes finish: a refresh is never cancelled by its waiters.
        for (let i = 0; i < 100 && events.filter((e) => e.type === 'refresh-started').length > events.filter((e) => e.type !== 'refresh-started' && e.type.startsWith('refresh-')).length; i++) {
          await sleep(5);
        }

        // A request refreshes at most once (no 401 loop): its retry may meet a second expiry, or a token
        // the server issued already expired.
        const deadFaults = steps.filter((s) => s.kind === 'fault' && (s.fault === 'expired' || s.fault === 'exp-in-past')).length;
        const secondExpiry = steps.filter((s) => s.kind === 'expire').length >= 2 || deadFaults > 0;
        const revoked = steps.some((s) => s.kind === 'revoke');
        for (const result of results) {
          if (result === 'ok') continue;
          expect(result).toBeInstanceOf(RxTokenHttpError);
          // Every request settled well within its timeout: none ran into it.
          expect((result as RxTokenHttpError).name).not.toBe('RequestTimeoutError');
          // 503s and resets the retries could not outlast (POSTs are not retried) are the request's own error.
          if ((result instanceof HttpError && result.status === 503) || (result as RxTokenHttpError).name === 'NetworkError') continue;
          // After the server revoked the family: the session's end, or the 401 that found it out.
          if (revoked && ((result as RxTokenHttpError).name === 'TokenRevokedError' || (result instanceof HttpError && result.status === 401))) continue;
          if (result instanceof HttpError && secondExpiry) expect(result.status).toBe(401);
          // Otherwise only a refresh that ran out of retries may fail a request.
          else expect((result as RxTokenHttpError).name).toBe('TokenRefreshError');
        }
        expect(fake.stats.reuseDetected).toBe(0);
        // Late 401s do not refresh again: each expiry, and each generation that arrived dead, costs at most
        // one successful refresh, with or without refreshAhead and whatever the clocks say.
        // A client clock ahead by more than the token's life sees the signed-in token (its JWT exp,
        // with no Date to correct it) as expired and refreshes it once before use.
        const skewedSignIn = clockSkew >= 60_000 ? 1 : 0;
        expect(fake.stats.refreshGrants).toBeLessThanOrEqual(steps.filter((s) => s.kind === 'expire').length + deadFaults + skewedSignIn);
        // At most one refresh per request (rule 7).
        for (let id = 1; id <= ids; id++) {
          const retried = events.filter((e) => e.type === 'request-retried' && e.reason === 'unauthorized' && new URL(e.url).searchParams.get('id') === String(id));
          expect(retried.length).toBeLessThanOrEqual(1);
        }
        expect(sentAfterRevocation).toBe(0);
        expect(answeredAfterRevocation).toBe(0);
        if (!revoked) expect(fake.stats.revokedFamilies).toBe(0);
        // One refresh per generation: a generation starts a second refresh only after the first failed.
        const generations = new Set(events.flatMap((e) => (e.type === 'refresh-started' ? [e.generation] : [])));
        for (const g of generations) {
          const started = events.filter((e) => e.type === 'refresh-started' && e.generation === g).length;
          const failed = events.filter((e) => e.type === 'refresh-failed' && e.generation === g).length;
          expect(started).toBeLessThanOrEqual(failed + 1);
        }
        if (session.state.revoked) expect(session.state.tokens).toBeNull();
        else expect(session.state.tokens?.refreshToken).toBe(fake.issuedRefreshTokens.at(-1));
        session.dispose();
      }),
      propertyRuns(40),
    );
  }, 120_000);
});
