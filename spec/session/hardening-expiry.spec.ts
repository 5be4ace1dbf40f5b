// Issue 8, items 1, 11 and 12 (and the setTokens half of item 5): tokens whose life is over on
// arrival never drive a refresh loop, expiry given in seconds is refused, a refresh token alone
// is a valid start, and a malformed token is refused where it enters without being quoted.
//
// On commit 8757acd (the old session) these fail: `refreshAhead` re-armed `timer(0)` after every
// refresh of a dead token (issue 8 measured ~575 token calls a second, here: one call per virtual
// frame until the window closes), every request on a dead token refreshed first, there was no
// backoff between dead refreshes, `expiresAt: 1.8e9` was accepted silently (5 requests, 5
// refreshes), `{ refreshToken }` alone was refused for want of an access token, and a token with a
// control character was accepted by setTokens (undici later quoted it in `NetworkError.cause`).
import { asyncScheduler, defer, firstValueFrom, lastValueFrom, map, mergeMap, of, type Observable } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { TokenRefreshError } from '../../lib/errors/token-refresh-error.js';
import { createTokenSession, type TokenSessionConfig } from '../../lib/session/create-token-session.js';
import type { TokenSet } from '../../lib/session/token-set.js';
import { createTestScheduler } from '../helpers/marbles.js';
import { errorOf } from '../helpers/outcomes.js';

const TEN_MINUTES = 600_000;

describe('hardening: tokens whose life is over on arrival', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = createTestScheduler();
  });

  /**
   * A token endpoint that answers after `latency` ms with a token set expiring `life(now)` ms
   * after the moment it answers (0: `expires_in: 0`; negative: a JWT `exp` in the past).
   */
  function deadEndpoint(latency: number, life: number) {
    const calls: { at: number; refreshToken: string }[] = [];
    const refresh = (refreshToken: string): Observable<TokenSet> => {
      const n = calls.push({ at: testScheduler.now(), refreshToken });
      return testScheduler
        .createColdObservable(`${latency}ms (t|)`, { t: 0 })
        .pipe(map(() => ({ accessToken: `access-${n}`, refreshToken: `refresh-${n}`, expiresAt: testScheduler.now() + life })));
    };
    return { calls, refresh };
  }

  function session(config: Partial<TokenSessionConfig> & Pick<TokenSessionConfig, 'refresh'>) {
    return createTokenSession({ scheduler: testScheduler, ...config });
  }

  describe('with refreshAhead: true', () => {
    it('refreshes once, not in a loop, when the refresh hands over a token with expires_in: 0', () => {
      testScheduler.run(() => {
        const endpoint = deadEndpoint(5, 0);
        const s = session({ tokens: { accessToken: 'a0', refreshToken: 'r0', expiresAt: 60_000 }, refreshAhead: true, refresh: endpoint.refresh });
        testScheduler.schedule(() => s.dispose(), TEN_MINUTES);
        testScheduler.flush();
        // The timer refreshes 15 s before the first token's expiry; the dead token it gets arms nothing.
        expect(endpoint.calls).toEqual([{ at: 45_000, refreshToken: 'r0' }]);
      });
    });

    it('refreshes once, not in a loop, when the refresh hands over a token that expired before it arrived', () => {
      testScheduler.run(() => {
        const endpoint = deadEndpoint(5, -3_600_000);
        const s = session({ tokens: { accessToken: 'a0', refreshToken: 'r0', expiresAt: 60_000 }, refreshAhead: true, refresh: endpoint.refresh });
        testScheduler.schedule(() => s.dispose(), TEN_MINUTES);
        testScheduler.flush();
        expect(endpoint.calls.length).toBe(1);
      });
    });

    it('refreshes once when the app signs in with an expired token and the endpoint keeps issuing dead ones', () => {
      testScheduler.run(() => {
        const endpoint = deadEndpoint(5, 0);
        const s = session({ refreshAhead: true, refresh: endpoint.refresh });
        testScheduler.schedule(() => s.setTokens({ accessToken: 'a0', refreshToken: 'r0', expiresAt: 0 }), 1_000);
        testScheduler.schedule(() => s.dispose(), TEN_MINUTES);
        testScheduler.flush();
        expect(endpoint.calls).toEqual([{ at: 1_000, refreshToken: 'r0' }]);
      });
    });

    it('makes at most one refresh per generation over ten minutes of requests on dead tokens', () => {
      testScheduler.run(() => {
        const endpoint = deadEndpoint(5, 0);
        const s = session({ tokens: { accessToken: 'a0', refreshToken: 'r0', expiresAt: 0 }, refreshAhead: true, refresh: endpoint.refresh });
        // A request a second, each one answered 401 by the API: one refresh per 401'd generation at most.
        const generations: number[] = [];
        for (let at = 0; at < TEN_MINUTES; at += 1_000) {
          testScheduler.schedule(() => {
            s.currentToken()
              .pipe(mergeMap((sent) => (generations.push(sent.generation), s.tokenAfterRejection(sent.generation))))
              .subscribe({ error: () => undefined });
          }, at);
        }
        testScheduler.schedule(() => s.dispose(), TEN_MINUTES);
        testScheduler.flush();
        const refreshedFrom = endpoint.calls.map((call) => call.refreshToken);
        expect(new Set(refreshedFrom).size).toBe(refreshedFrom.length);
        // One refresh per request at most, and far fewer than one per frame.
        expect(endpoint.calls.length).toBeLessThanOrEqual(generations.length + 1);
      });
    });
  });

  describe('without refreshAhead', () => {
    it('does not refresh ahead of each request once a refresh handed over a dead token', () => {
      testScheduler.run(() => {
        const endpoint = deadEndpoint(5, 0);
        const s = session({ tokens: { accessToken: 'a0', refreshToken: 'r0', expiresAt: 60_000 }, refresh: endpoint.refresh });
        const sent: (string | null)[] = [];
        // The first request is inside the 15 s margin: it refreshes first and gets a dead token.
        for (const at of [50_000, 51_000, 52_000, 53_000, 54_000, 120_000]) {
          testScheduler.schedule(() => s.currentToken().subscribe((t) => sent.push(t.accessToken)), at);
        }
        testScheduler.flush();
        expect(endpoint.calls.length).toBe(1);
        // The dead token is sent as it is: the server's 401 decides, once per generation.
        expect(sent).toEqual(['access-1', 'access-1', 'access-1', 'access-1', 'access-1', 'access-1']);
      });
    });

    it('refreshes first once, then sends, for N concurrent requests on an expired sign-in', () => {
      testScheduler.run(() => {
        const endpoint = deadEndpoint(5, 0);
        const s = session({ tokens: { accessToken: 'a0', refreshToken: 'r0', expiresAt: 0 }, refresh: endpoint.refresh });
        const sent: (string | null)[] = [];
        for (let i = 0; i < 20; i++) testScheduler.schedule(() => s.currentToken().subscribe((t) => sent.push(t.accessToken)), i * 100);
        testScheduler.flush();
        expect(endpoint.calls.length).toBe(1);
        expect(sent).toEqual(Array(20).fill('access-1'));
      });
    });
  });

  describe('when the token endpoint keeps issuing dead tokens', () => {
    it('waits longer before each consecutive refresh (backoff)', () => {
      testScheduler.run(() => {
        const endpoint = deadEndpoint(5, 0);
        const s = session({ tokens: { accessToken: 'a0', refreshToken: 'r0' }, refresh: endpoint.refresh });
        // Each dead token is rejected by the API at once: a 401 for every new generation.
        const rejectAll = (generation: number): void => {
          if (generation > 6) return;
          s.tokenAfterRejection(generation).subscribe({ next: (t) => rejectAll(t.generation), error: () => undefined });
        };
        rejectAll(0);
        testScheduler.flush();
        expect(endpoint.calls.length).toBe(7);
        const gaps = endpoint.calls.slice(1).map((call, i) => call.at - (endpoint.calls[i] as { at: number }).at);
        for (let i = 1; i < gaps.length; i++) expect(gaps[i]).toBeGreaterThan(gaps[i - 1] as number);
      });
    });

    it('does not make a fresh sign-in pay the backoff of the dead tokens before it', () => {
      testScheduler.run(() => {
        const endpoint = deadEndpoint(5, 0);
        const s = session({ tokens: { accessToken: 'a0', refreshToken: 'r0' }, refresh: endpoint.refresh });
        const rejectAll = (generation: number): void => {
          if (generation > 4) return;
          s.tokenAfterRejection(generation).subscribe({ next: (t) => rejectAll(t.generation), error: () => undefined });
        };
        rejectAll(0);
        testScheduler.flush();
        const before = endpoint.calls.length;
        // The user signs in again: a new sign-in is not the same endpoint misbehaving.
        const signedInAt = testScheduler.now() + 1_000;
        testScheduler.schedule(() => {
          s.setTokens({ accessToken: 'fresh', refreshToken: 'fresh-r' });
          s.tokenAfterRejection(s.state.generation).subscribe({ error: () => undefined });
        }, 1_000);
        testScheduler.flush();
        expect(endpoint.calls.length).toBe(before + 1);
        expect(endpoint.calls[before]).toEqual({ at: signedInAt, refreshToken: 'fresh-r' });
      });
    });
  });

  describe('a token with less life than the round trip that fetched it', () => {
    it('does not drive refreshAhead into a loop of one refresh per round trip', () => {
      testScheduler.run(() => {
        // The endpoint takes 50 ms and hands out 20 ms tokens (server clock behind, or a
        // misconfigured `expires_in`): each token is refreshed 15 ms after it arrived, forever.
        const endpoint = deadEndpoint(50, 20);
        const s = session({ tokens: { accessToken: 'a0', refreshToken: 'r0', expiresAt: 60_000 }, refreshAhead: true, refresh: endpoint.refresh });
        testScheduler.schedule(() => s.dispose(), TEN_MINUTES);
        testScheduler.flush();
        // With a backoff capped at the default 10 s, ten minutes hold at most ~60 such refreshes.
        expect(endpoint.calls.length).toBeLessThanOrEqual(100);
      });
    });
  });

  describe('tokens: { refreshToken } alone', () => {
    it('is a valid start: the first currentToken() refreshes first and sends the new token', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const endpoint = cold('---(t|)', { t: { accessToken: 'access-1', refreshToken: 'refresh-1' } });
        const seen: string[] = [];
        const s = session({ tokens: { refreshToken: 'refresh-0' }, refresh: (token) => (seen.push(token), endpoint) });
        expectObservable(s.currentToken().pipe(map((t) => t.accessToken))).toBe('---(a|)', { a: 'access-1' });
        expectSubscriptions(endpoint.subscriptions).toBe('^--!');
        testScheduler.flush();
        expect(seen).toEqual(['refresh-0']);
      });
    });

    it('refreshes once for many concurrent first requests', () => {
      testScheduler.run(({ cold, expectSubscriptions }) => {
        const endpoint = cold('---(t|)', { t: { accessToken: 'access-1' } });
        const s = session({ tokens: { refreshToken: 'refresh-0' }, refresh: () => endpoint });
        const sent: (string | null)[] = [];
        for (let i = 0; i < 5; i++) s.currentToken().subscribe((t) => sent.push(t.accessToken));
        expectSubscriptions(endpoint.subscriptions).toBe('^--!');
        testScheduler.flush();
        expect(sent).toEqual(Array(5).fill('access-1'));
        expect(s.state.tokens).toEqual({ accessToken: 'access-1', refreshToken: 'refresh-0' });
      });
    });
  });
});

describe('hardening: expiresAt in seconds (real clock)', () => {
  const seconds = 1.8e9; // 2027 in epoch seconds; as ms it is January 1970

  it('is a TypeError naming the fix at createTokenSession', () => {
    const make = () => createTokenSession({ tokens: { accessToken: 'a', refreshToken: 'r', expiresAt: seconds }, refresh: () => of({ accessToken: 'b' }), scheduler: asyncScheduler });
    expect(make).toThrow(TypeError);
    expect(make).toThrow(/milliseconds/);
    expect(make).toThrow(/1000/);
  });

  it('is a TypeError naming the fix at setTokens, and the tokens stay as they were', () => {
    const s = createTokenSession({ tokens: { accessToken: 'a', refreshToken: 'r' }, refresh: () => of({ accessToken: 'b' }) });
    expect(() => s.setTokens({ accessToken: 'x', refreshToken: 'y', expiresAt: seconds })).toThrow(/multiply it by 1000/);
    expect(s.state.tokens).toEqual({ accessToken: 'a', refreshToken: 'r' });
    s.dispose();
  });

  it('from a custom refresh function fails the refresh with a non-transient error naming the fix, once', async () => {
    let calls = 0;
    const s = createTokenSession({
      tokens: { accessToken: 'a', refreshToken: 'r' },
      refresh: () => defer(() => (calls++, of({ accessToken: 'b', expiresAt: Math.floor(Date.now() / 1000) + 3600 }))),
    });
    const error = await errorOf(s.tokenAfterRejection(s.state.generation));
    expect(error).toBeInstanceOf(TokenRefreshError);
    expect((error as TokenRefreshError).reason).toBe('invalid-response');
    expect((error as TokenRefreshError).transient).toBe(false);
    expect((error as Error).message).toMatch(/multiply it by 1000/);
    expect(calls).toBe(1);
    // The old tokens are kept and sent as they are.
    expect(await firstValueFrom(s.currentToken())).toEqual({ accessToken: 'a', generation: s.state.generation, signIn: s.state.signIn });
    s.dispose();
  });

  it('still accepts epoch milliseconds under the real clock', async () => {
    const s = createTokenSession({ tokens: { accessToken: 'a', refreshToken: 'r', expiresAt: Date.now() + 3_600_000 }, refresh: () => of({ accessToken: 'b' }) });
    expect(await lastValueFrom(s.currentToken())).toEqual({ accessToken: 'a', generation: 0, signIn: s.state.signIn });
    s.dispose();
  });
});

describe('hardening: malformed tokens are refused where they enter', () => {
  const secret = 'eyJhbGciOi.super-secret-value';
  const refresh = () => of({ accessToken: 'b' });

  for (const [name, tokens] of [
    ['a newline in the access token', { accessToken: `${secret}\n`, refreshToken: 'r' }],
    ['a CR LF in the access token', { accessToken: `${secret}\r\nX-Evil: 1`, refreshToken: 'r' }],
    ['a NUL in the refresh token', { accessToken: 'a', refreshToken: `${secret}\u0000` }],
    ['a space in the access token', { accessToken: `${secret} x`, refreshToken: 'r' }],
    ['non-ASCII in the access token', { accessToken: `${secret}é`, refreshToken: 'r' }],
  ] as const) {
    it(`setTokens with ${name}: a TypeError that quotes no token, and nothing changes`, () => {
      const s = createTokenSession({ tokens: { accessToken: 'a', refreshToken: 'r' }, refresh });
      const events: unknown[] = [];
      s.events$.subscribe((event) => events.push(event));
      let thrown: unknown;
      try {
        s.setTokens(tokens);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(TypeError);
      expect((thrown as Error).message).toMatch(/setTokens/);
      expect((thrown as Error).message).not.toContain('super-secret');
      expect(String((thrown as Error).stack)).not.toContain('super-secret');
      expect(s.state.tokens).toEqual({ accessToken: 'a', refreshToken: 'r' });
      expect(events).toEqual([]);
      s.dispose();
    });
  }

  it('createTokenSession with a control character in a token: a TypeError that quotes no token', () => {
    expect(() => createTokenSession({ tokens: { accessToken: `${secret}\t`, refreshToken: 'r' }, refresh })).toThrow(TypeError);
    try {
      createTokenSession({ tokens: { accessToken: `${secret}\t`, refreshToken: 'r' }, refresh });
    } catch (error) {
      expect((error as Error).message).not.toContain('super-secret');
    }
  });
});
