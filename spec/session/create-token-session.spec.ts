import { Subject, defer, map, mergeMap, of, takeUntil, throwError, type Observable, type SchedulerLike } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { HttpError } from '../../lib/errors/http-error.js';
import { NetworkError } from '../../lib/errors/network-error.js';
import { RequestTimeoutError } from '../../lib/errors/request-timeout-error.js';
import { TokenRefreshError } from '../../lib/errors/token-refresh-error.js';
import { TokenRevokedError } from '../../lib/errors/token-revoked-error.js';
import { createTokenSession, type TokenSessionConfig } from '../../lib/session/create-token-session.js';
import type { SessionEvent } from '../../lib/session/session-event.js';
import type { TokenSet } from '../../lib/session/token-set.js';
import { createTestScheduler } from '../helpers/marbles.js';

const t0: TokenSet = { accessToken: 'access-0', refreshToken: 'refresh-0' };
const t1: TokenSet = { accessToken: 'access-1', refreshToken: 'refresh-1' };
const t2: TokenSet = { accessToken: 'access-2', refreshToken: 'refresh-2' };

const stopped = new TokenRefreshError('The session was signed out or disposed during the refresh', { reason: 'signed-out' });

describe('createTokenSession', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = createTestScheduler();
  });

  function session(config: Partial<TokenSessionConfig> & Pick<TokenSessionConfig, 'refresh'>) {
    const created = createTokenSession({ tokens: t0, scheduler: testScheduler, ...config });
    const events: SessionEvent[] = [];
    created.events$.subscribe((event) => events.push(event));
    return { session: created, events };
  }
  const token = (grant$: Observable<{ accessToken: string | null }>) => grant$.pipe(map((grant) => grant.accessToken));

  describe('when callers overlap an in-flight refresh', () => {
    it('subscribes to the token endpoint once and replays to all', () => {
      testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
        const endpoint = cold('---(t|)', { t: t1 });
        const { session: s } = session({ refresh: () => endpoint });
        const callers = hot('a-b', { a: 0, b: 0 });
        expectObservable(callers.pipe(mergeMap((generation) => token(s.tokenAfterRejection(generation))))).toBe('---(xx)', { x: 'access-1' });
        expectSubscriptions(endpoint.subscriptions).toBe('^--!');
      });
    });

    it('passes the current refresh token to the refresh function', () => {
      testScheduler.run(({ cold }) => {
        const seen: string[] = [];
        const { session: s } = session({
          refresh: (refreshToken) => {
            seen.push(refreshToken);
            return cold('-(t|)', { t: seen.length === 1 ? t1 : t2 });
          },
        });
        s.tokenAfterRejection(0).subscribe();
        testScheduler.schedule(() => s.tokenAfterRejection(1).subscribe(), 5);
        testScheduler.flush();
        expect(seen).toEqual(['refresh-0', 'refresh-1']);
        expect(s.state.tokens).toEqual(t2);
        expect(s.state.generation).toBe(2);
      });
    });
  });

  describe('when a 401 arrives for a generation the session has left (late 401)', () => {
    it('emits the current token at once without a second refresh', () => {
      testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
        const endpoint = cold('---(t|)', { t: t1 });
        const { session: s } = session({ refresh: () => endpoint });
        const callers = hot('a 5ms b', { a: 0, b: 0 });
        expectObservable(callers.pipe(mergeMap((generation) => token(s.tokenAfterRejection(generation))))).toBe('---x 2ms x', { x: 'access-1' });
        expectSubscriptions(endpoint.subscriptions).toBe('^--!');
      });
    });
  });

  describe('when every waiter unsubscribes mid-refresh', () => {
    it('still completes the refresh and stores both rotated tokens', () => {
      testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
        const endpoint = cold('-----(t|)', { t: t1 });
        const { session: s } = session({ refresh: () => endpoint });
        const leave = hot('--x');
        expectObservable(s.tokenAfterRejection(0).pipe(takeUntil(leave))).toBe('--|');
        expectObservable(s.tokens$).toBe('a----b', { a: t0, b: t1 });
        expectSubscriptions(endpoint.subscriptions).toBe('^----!');
      });
    });

    it('serves the next request the stored token with no refresh', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const endpoint = cold('-----(t|)', { t: t1 });
        const { session: s } = session({ refresh: () => endpoint });
        const leave = new Subject<void>();
        s.tokenAfterRejection(0).pipe(takeUntil(leave)).subscribe();
        testScheduler.schedule(() => leave.next(), 1);
        const later = defer(() => token(s.currentToken()));
        expectObservable(testScheduler.createColdObservable('10ms x').pipe(mergeMap(() => later))).toBe('10ms y', { y: 'access-1' });
        expectSubscriptions(endpoint.subscriptions).toBe('^----!');
      });
    });
  });

  describe('when the token endpoint sends no new refresh token', () => {
    it('keeps the old refresh token in the same step as the new access token', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const { session: s } = session({ refresh: () => cold('-(t|)', { t: { accessToken: 'access-1' } }) });
        s.tokenAfterRejection(0).subscribe();
        expectObservable(s.tokens$).toBe('ab', { a: t0, b: { accessToken: 'access-1', refreshToken: 'refresh-0' } });
      });
    });
  });

  describe('when the access token expires within the skew', () => {
    it('refreshes before handing out the token (no 401 round trip)', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const endpoint = cold('--(t|)', { t: { ...t1, expiresAt: 100_000 } });
        const { session: s } = session({ tokens: { ...t0, expiresAt: 60_000 }, skew: 30_000, refresh: () => endpoint });
        // 60 s life: the margin is a quarter of it, 15 s, not the 30 s skew.
        const at = (ms: number) => testScheduler.createColdObservable(`${ms}ms x`).pipe(mergeMap(() => token(s.currentToken())));
        expectObservable(at(44_999)).toBe('44999ms a', { a: 'access-0' });
        expectObservable(at(45_000)).toBe('45002ms b', { b: 'access-1' });
        expectSubscriptions(endpoint.subscriptions).toBe('45000ms ^-!');
      });
    });

    it('uses the whole skew when it is a small share of a long life', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const { session: s } = session({ tokens: { ...t0, expiresAt: 3_600_000 }, skew: 30_000, refresh: () => cold('-(t|)', { t: t1 }) });
        const at = (ms: number) => testScheduler.createColdObservable(`${ms}ms x`).pipe(mergeMap(() => token(s.currentToken())));
        expectObservable(at(3_569_999)).toBe('3569999ms a', { a: 'access-0' });
        expectObservable(at(3_570_000)).toBe('3570001ms b', { b: 'access-1' });
      });
    });

    it('still sends the unexpired token when the refresh fails transiently', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const network = new NetworkError('POST', 'https://auth.test/token');
        const { session: s } = session({
          tokens: { ...t0, expiresAt: 100_000 },
          refreshRetry: { maxRetries: 0 },
          refresh: () => cold('-#', undefined, network),
        });
        const at = testScheduler.createColdObservable('90000ms x').pipe(mergeMap(() => token(s.currentToken())));
        expectObservable(at).toBe('90001ms a', { a: 'access-0' });
      });
    });

    it('does not refresh a token that has no refresh token', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const endpoint = cold('-(t|)', { t: t1 });
        const { session: s } = session({ tokens: { accessToken: 'only', expiresAt: 10 }, refresh: () => endpoint });
        expectObservable(token(s.currentToken())).toBe('(a|)', { a: 'only' });
        expectSubscriptions(endpoint.subscriptions).toBe([]);
      });
    });
  });

  describe('when refreshAhead is on', () => {
    it('refreshes on a timer before expiry, with no request', () => {
      testScheduler.run(({ cold, expectSubscriptions }) => {
        const endpoint = cold('-(t|)', { t: t1 });
        const { session: s } = session({ tokens: { ...t0, expiresAt: 1_000 }, skew: 100, refreshAhead: true, refresh: () => endpoint });
        // margin: min(100, 1000 / 4) = 100
        expectSubscriptions(endpoint.subscriptions).toBe('900ms ^!');
        testScheduler.schedule(() => s.dispose(), 2_000);
      });
    });
  });

  describe('when the refresh fails transiently', () => {
    it('retries with backoff and recovers', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const network = new NetworkError('POST', 'https://auth.test/token');
        let calls = 0;
        const { session: s } = session({
          refreshRetry: { baseDelay: 100, jitter: false },
          refresh: () => (++calls < 3 ? cold('-#', undefined, network) : cold('-(t|)', { t: t1 })),
        });
        // tries at 0, 101, 302
        expectObservable(token(s.tokenAfterRejection(0))).toBe('303ms (a|)', { a: 'access-1' });
      });
    });

    it('after the last try fails every waiter with a transient TokenRefreshError and keeps the tokens', () => {
      testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
        const network = new NetworkError('POST', 'https://auth.test/token');
        const endpoint = cold<TokenSet>('-#', undefined, network);
        const { session: s, events } = session({ refreshRetry: { maxRetries: 2, baseDelay: 10, jitter: false }, refresh: () => endpoint });
        const callers = hot('ab', { a: 0, b: 0 });
        const error = new TokenRefreshError('Token refresh failed after retries: POST https://auth.test/token failed: network error', {
          reason: 'network',
          transient: true,
          cause: network,
        });
        expectObservable(callers.pipe(mergeMap((g) => s.tokenAfterRejection(g)))).toBe('33ms #', undefined, error);
        expectSubscriptions(endpoint.subscriptions).toBe(['^!', '11ms ^!', '32ms ^!']);
        testScheduler.flush();
        expect(s.state.tokens).toEqual(t0);
        const failed = events.find((e) => e.type === 'refresh-failed');
        expect(failed?.type === 'refresh-failed' && failed.error).toMatchObject({ reason: 'network', transient: true, cause: network });
      });
    });

    it('lets the next request start a new refresh', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        let calls = 0;
        const { session: s } = session({
          refreshRetry: { maxRetries: 0 },
          refresh: () => (++calls === 1 ? cold('-#', undefined, new NetworkError('POST', 'x')) : cold('-(t|)', { t: t1 })),
        });
        s.tokenAfterRejection(0).subscribe({ error: () => undefined });
        const later = testScheduler.createColdObservable('5ms x').pipe(mergeMap(() => token(s.tokenAfterRejection(0))));
        expectObservable(later).toBe('6ms a', { a: 'access-1' });
      });
    });

    it('honours Retry-After from the token endpoint', () => {
      testScheduler.run(({ cold, expectSubscriptions }) => {
        const busy = new HttpError({ method: 'POST', url: 'x', status: 503, headers: new Headers({ 'retry-after': '3' }) });
        const endpoint = cold<TokenSet>('-#', undefined, busy);
        const { session: s } = session({ refreshRetry: { maxRetries: 1 }, refresh: () => endpoint });
        s.tokenAfterRejection(0).subscribe({ error: () => undefined });
        expectSubscriptions(endpoint.subscriptions).toBe(['^!', '3001ms ^!']);
      });
    });
  });

  describe('when the refresh hangs', () => {
    it('times each attempt out and fails the waiters: nothing hangs', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const endpoint = cold<TokenSet>('-');
        const { session: s } = session({ refreshTimeout: 1_000, refreshRetry: { maxRetries: 1, baseDelay: 100, jitter: false }, refresh: () => endpoint });
        const timedOut = new TokenRefreshError('Token refresh failed after retries: POST the refresh function timed out after 1000 ms', {
          reason: 'timeout',
          transient: true,
          cause: new RequestTimeoutError('POST', 'the refresh function', 1_000),
        });
        expectObservable(s.tokenAfterRejection(0)).toBe('2100ms #', undefined, timedOut);
        expectSubscriptions(endpoint.subscriptions).toBe(['^ 999ms !', '1100ms ^ 999ms !']);
      });
    });
  });

  describe('when the refresh token is revoked', () => {
    it('fails every waiter with TokenRevokedError in the same frame and says so once', () => {
      testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
        const revoked = new TokenRevokedError();
        const endpoint = cold<TokenSet>('---#', undefined, revoked);
        const { session: s, events } = session({ refresh: () => endpoint });
        const callers = hot('ab-c', { a: 0, b: 0, c: 0 });
        expectObservable(callers.pipe(mergeMap((g) => s.tokenAfterRejection(g)))).toBe('---#', undefined, revoked);
        expectObservable(s.tokens$).toBe('a--b', { a: t0, b: null });
        expectSubscriptions(endpoint.subscriptions).toBe('^--!');
        testScheduler.flush();
        expect(events.filter((e) => e.type === 'session-revoked')).toHaveLength(1);
        expect(s.state.revoked).toBe(true);
      });
    });

    it('fails later requests at once without calling the refresh function', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const endpoint = cold<TokenSet>('-#', undefined, new TokenRevokedError());
        const { session: s, events } = session({ refresh: () => endpoint });
        s.tokenAfterRejection(0).subscribe({ error: () => undefined });
        const later = testScheduler.createColdObservable('5ms x');
        expectObservable(later.pipe(mergeMap(() => s.currentToken()))).toBe('5ms #', undefined, new TokenRevokedError());
        expectObservable(later.pipe(mergeMap(() => s.tokenAfterRejection(s.state.generation)))).toBe('5ms #', undefined, new TokenRevokedError());
        expectSubscriptions(endpoint.subscriptions).toBe('^!');
        testScheduler.flush();
        expect(events.filter((e) => e.type === 'session-revoked')).toHaveLength(1);
      });
    });

    it('comes back to life with setTokens', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const { session: s } = session({ refresh: () => cold('-#', undefined, new TokenRevokedError()) });
        s.tokenAfterRejection(0).subscribe({ error: () => undefined });
        testScheduler.schedule(() => s.setTokens(t2), 3);
        const later = testScheduler.createColdObservable('5ms x').pipe(mergeMap(() => token(s.currentToken())));
        expectObservable(later).toBe('5ms a', { a: 'access-2' });
      });
    });
  });

  describe('when the refresh function misbehaves', () => {
    const cases: [string, () => Observable<unknown>, RegExp][] = [
      ['emits a malformed token set', () => of({ accessToken: 42 }), /accessToken must be a non-empty string when present, got number/],
      ['emits a non-object', () => of('access-9'), /must be an object, got a string/],
      ['emits an empty refresh token', () => of({ accessToken: 'a', refreshToken: '' }), /refreshToken/],
      ['completes without a value', () => of(), /completed without a token set/],
      ['throws', () => throwError(() => new TypeError('boom')), /boom/],
    ];
    for (const [what, refresh, message] of cases) {
      it(`fails with a non-transient TokenRefreshError when it ${what}, without retrying`, () => {
        let calls = 0;
        const { session: s } = session({
          refresh: () => {
            calls++;
            return refresh() as Observable<TokenSet>;
          },
        });
        let error: unknown;
        s.tokenAfterRejection(0).subscribe({ error: (e: unknown) => (error = e) });
        testScheduler.flush();
        expect(error).toBeInstanceOf(TokenRefreshError);
        expect((error as TokenRefreshError).transient).toBe(false);
        expect((error as Error).message).toMatch(message);
        expect((error as Error).message).not.toContain('access-9');
        expect(calls).toBe(1);
        expect(s.state.tokens).toEqual(t0);
      });
    }

    it('fails when it throws synchronously', () => {
      const { session: s } = session({
        refresh: () => {
          throw new Error('sync');
        },
      });
      let error: unknown;
      s.tokenAfterRejection(0).subscribe({ error: (e: unknown) => (error = e) });
      expect(error).toBeInstanceOf(TokenRefreshError);
      expect((error as TokenRefreshError).cause).toEqual(new Error('sync'));
    });
  });

  describe('when the session has no refresh token', () => {
    it('lets the 401 stand (a null grant) and fails refresh$, without starting a refresh', () => {
      const { session: s, events } = session({ tokens: { accessToken: 'only' }, refresh: () => of(t1) });
      let grant: unknown;
      s.tokenAfterRejection(0).subscribe((g) => (grant = g));
      expect(grant).toEqual({ accessToken: null, generation: 0 });
      let error: unknown;
      s.refresh$.subscribe({ error: (e: unknown) => (error = e) });
      expect(error).toMatchObject({ name: 'TokenRefreshError', transient: false, message: 'The session has no refresh token to refresh with' });
      expect(events).toEqual([]);
    });
  });

  describe('when signed out', () => {
    it('hands out no token, and refresh$ fails', () => {
      const { session: s } = session({ tokens: null, refresh: () => of(t1) });
      let grant: unknown;
      s.currentToken().subscribe((g) => (grant = g));
      expect(grant).toEqual({ accessToken: null, generation: 0, signIn: expect.any(String) });
      let error: unknown;
      s.refresh$.subscribe({ error: (e: unknown) => (error = e) });
      expect(error).toBeInstanceOf(TokenRefreshError);
    });

    it('stops a running refresh and fails its waiters', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const endpoint = cold('-----(t|)', { t: t1 });
        const { session: s } = session({ refresh: () => endpoint });
        testScheduler.schedule(() => s.signOut(), 2);
        expectObservable(s.tokenAfterRejection(0)).toBe('--#', undefined, stopped);
        expectSubscriptions(endpoint.subscriptions).toBe('^-!');
        expectObservable(s.tokens$).toBe('a-b', { a: t0, b: null });
      });
    });
  });

  describe('when setTokens is called during a refresh', () => {
    it('keeps the set tokens and answers the waiters with them at once, marked as another sign-in (the pipeline refuses to send them, rule 18); the refresh runs to its end', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const endpoint = cold('-----(t|)', { t: t1 });
        const { session: s } = session({ refresh: () => endpoint });
        const before = s.state.signIn;
        testScheduler.schedule(() => s.setTokens(t2), 2);
        expectObservable(s.tokenAfterRejection(0).pipe(map(({ accessToken, signIn }) => [accessToken, signIn === before]))).toBe('--(a|)', { a: ['access-2', false] });
        expectSubscriptions(endpoint.subscriptions).toBe('^----!');
        expectObservable(s.tokens$).toBe('a-b', { a: t0, b: t2 });
      });
    });

    it('keeps the sign-in id across a refresh and makes a new one on each sign-in and sign-out', () => {
      testScheduler.run(({ cold }) => {
        const { session: s } = session({ refresh: () => cold('-(t|)', { t: t1 }) });
        const ids = [s.state.signIn];
        s.tokenAfterRejection(0).subscribe();
        testScheduler.flush();
        ids.push(s.state.signIn);
        s.setTokens(t2);
        ids.push(s.state.signIn);
        s.signOut();
        ids.push(s.state.signIn);
        expect(s.state.generation).toBe(3);
        expect(ids[0]).toMatch(/^[0-9a-z]+(\.[0-9a-z]+){3}$/);
        expect(ids[1]).toBe(ids[0]);
        expect(new Set(ids).size).toBe(3);
      });
    });
  });

  describe('when disposed', () => {
    it('stops the refresh, completes the streams and refuses later use', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const endpoint = cold('-----(t|)', { t: t1 });
        const { session: s } = session({ refresh: () => endpoint });
        testScheduler.schedule(() => s.dispose(), 2);
        expectObservable(s.tokenAfterRejection(0)).toBe('--#', undefined, stopped);
        expectObservable(s.tokens$).toBe('a-|', { a: t0 });
        expectSubscriptions(endpoint.subscriptions).toBe('^-!');
      });
    });
  });

  describe('setTokens', () => {
    it('bumps the generation and rejects malformed sets with a TypeError that quotes no token', () => {
      const { session: s, events } = session({ refresh: () => of(t1) });
      s.setTokens(t2);
      expect(s.state.generation).toBe(1);
      expect(events).toEqual([{ type: 'tokens-changed', generation: 1, change: 'sign-in', origin: 'local' }]);
      expect(() => s.setTokens({ accessToken: '' })).toThrow(TypeError);
      expect(() => s.setTokens({ accessToken: 'secret-a', refreshToken: 5 as unknown as string })).toThrow(/refreshToken/);
      expect(() => s.setTokens({ accessToken: 'secret-a', expiresAt: Number.NaN })).toThrow(/expiresAt/);
      try {
        s.setTokens({ accessToken: 'secret-a', refreshToken: 5 as unknown as string });
      } catch (error) {
        expect((error as Error).message).not.toContain('secret-a');
      }
    });

    it('reads expiresAt from a JWT access token without one', () => {
      const payload = btoa(JSON.stringify({ exp: 1_900_000_000 })).replace(/=+$/, '');
      const { session: s } = session({ refresh: () => of(t1) });
      s.setTokens({ accessToken: `eyJhbGciOiJub25lIn0.${payload}.sig`, refreshToken: 'r' });
      expect(s.state.tokens?.expiresAt).toBe(1_900_000_000_000);
    });
  });

  describe('events$', () => {
    it('reports a refresh from start to success without any token in it', () => {
      testScheduler.run(({ cold }) => {
        const { session: s, events } = session({ refresh: () => cold('-(t|)', { t: { ...t1, expiresAt: 5_000 } }) });
        s.tokenAfterRejection(0).subscribe();
        testScheduler.flush();
        expect(events).toEqual([
          { type: 'refresh-started', generation: 0 },
          { type: 'refresh-succeeded', generation: 1, expiresAt: 5_000 },
        ]);
        expect(JSON.stringify(events)).not.toMatch(/access-|refresh-[01]/);
      });
    });
  });

  describe('config validation', () => {
    it('throws a TypeError for a missing refresh function or a negative skew', () => {
      expect(() => createTokenSession({} as TokenSessionConfig)).toThrow(TypeError);
      expect(() => createTokenSession({ refresh: () => of(t1), skew: -1 })).toThrow(/skew/);
      expect(() => createTokenSession({ refresh: () => of(t1), tokens: { accessToken: 3 } as unknown as TokenSet })).toThrow(TypeError);
    });
  });
});

describe('createTokenSession with refreshAhead and a token valid for months', () => {
  it('waits in timer-sized steps instead of overflowing setTimeout into an immediate refresh', () => {
    const testScheduler = createTestScheduler();
    const delays: number[] = [];
    // Records every delay asked of the scheduler: setTimeout fires at once past 2^31 - 1 ms.
    const recording = {
      now: () => testScheduler.now(),
      schedule: (...args: Parameters<TestScheduler['schedule']>) => {
        delays.push(args[1] ?? 0);
        return testScheduler.schedule(...args);
      },
    } as SchedulerLike;
    testScheduler.run(({ cold, expectSubscriptions }) => {
      const endpoint = cold<TokenSet>('-(t|)', { t: t1 });
      const ninetyDays = 90 * 24 * 3_600_000;
      const s = createTokenSession({ tokens: { ...t0, expiresAt: ninetyDays }, skew: 1_000, refreshAhead: true, refresh: () => endpoint, scheduler: recording });
      expectSubscriptions(endpoint.subscriptions).toBe(`${ninetyDays - 1_000}ms ^!`);
      testScheduler.schedule(() => s.dispose(), ninetyDays);
    });
    expect(Math.max(...delays)).toBeLessThanOrEqual(2_147_483_647);
  });
});
