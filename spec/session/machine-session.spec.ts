// A machine session (lib/session/session-context.ts: canRenew, revokedError; session-config.ts: FETCH_TOKENS) (issue 24, rule 16), `tokens: 'fetch'`: no user,
// no refresh token, and every renewal a new grant under every rule of the protocol (one grant per
// generation, late 401s, refresh-ahead, bounded waits, backoff, waiters that leave). What ends it
// is the client's own failure: a TokenRevokedError from the grant, then no more token calls.
//
// Before this (main 0dc320b) these fail: `tokens: 'fetch'` was refused as a token set, and a
// session without a refresh token never renewed (the first request went out with no token, a 401
// stood, `refresh$` failed with reason no-refresh-token).
import { map, mergeMap, throwError, timer, type Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { NetworkError } from '../../lib/errors/request-error.js';
import { TokenRefreshError } from '../../lib/errors/token-refresh-error.js';
import { TokenRevokedError } from '../../lib/errors/token-revoked-error.js';
import { createTokenSession } from '../../lib/session/create-token-session.js';
import { canRenew, revokedError } from '../../lib/session/session-context.js';
import { shareInMemory } from '../../lib/session/sharing/share-in-memory.js';
import type { SessionState, TokenSet } from '../../lib/session/token-set.js';
import { record, session, testScheduler, token, useTestScheduler } from './session-fixtures.js';

/** The client's n-th token, living `life` ms from now (virtual time). */
const machineToken = (n: number, life = 60_000): TokenSet => ({ accessToken: `m-${n}`, expiresAt: testScheduler.now() + life });

/** A grant that answers after 10 ms with the next token, counting its calls and what it was given. */
function countingGrant(life = 60_000) {
  const given: string[] = [];
  const grant = (refreshToken: string): Observable<TokenSet> => {
    given.push(refreshToken);
    const n = given.length;
    return timer(10, testScheduler).pipe(map(() => machineToken(n, life)));
  };
  return { grant, given };
}

const refusedClient = () => new TokenRevokedError('The token endpoint refused the client (invalid_client)');

describe('canRenew', () => {
  const state = (tokens: TokenSet | null, revoked = false): SessionState => ({ tokens, generation: 1, revoked, receivedAt: 0, change: 'refresh' });

  it('is true for a machine session with or without a token, false once revoked', () => {
    expect(canRenew(state(null), true)).toBe(true);
    expect(canRenew(state({ accessToken: 'a' }), true)).toBe(true);
    expect(canRenew(state(null, true), true)).toBe(false);
  });

  it('asks a user session for a refresh token', () => {
    expect(canRenew(state({ accessToken: 'a' }), false)).toBe(false);
    expect(canRenew(state({ accessToken: 'a', refreshToken: 'r' }), false)).toBe(true);
    expect(canRenew(state(null), false)).toBe(false);
  });
});

describe('revokedError', () => {
  it("says a machine session's client was refused, and keeps the user session's message", () => {
    expect(revokedError(true).message).toMatch(/machine session ended: the token endpoint refused the client/);
    expect(revokedError(false).message).toBe(new TokenRevokedError().message);
  });
});

describe("createTokenSession({ tokens: 'fetch' }): a machine session", () => {
  useTestScheduler();

  describe('with no token yet', () => {
    it('makes one grant for many concurrent first requests, called with no refresh token, and sends its token', () => {
      testScheduler.run(({ cold, expectSubscriptions }) => {
        const endpoint = cold('---(t|)', { t: { accessToken: 'm-1', expiresAt: 60_000 } });
        const given: string[] = [];
        const { session: s, events } = session({ tokens: 'fetch', refresh: (refreshToken) => (given.push(refreshToken), endpoint) });
        const sent: (string | null)[] = [];
        for (let i = 0; i < 20; i++) s.token().subscribe((t) => sent.push(t.accessToken));
        expectSubscriptions(endpoint.subscriptions).toBe('^--!');
        testScheduler.flush();
        expect(sent).toEqual(Array(20).fill('m-1'));
        expect(given).toEqual(['']);
        expect(s.state).toMatchObject({ tokens: { accessToken: 'm-1', expiresAt: 60_000 }, generation: 1, revoked: false });
        expect(events.map((e) => e.type)).toEqual(['refresh-started', 'refresh-succeeded']);
      });
    });

    it('fetches the first token on refresh$', () => {
      testScheduler.run(({ expectObservable }) => {
        const { grant } = countingGrant();
        const { session: s } = session({ tokens: 'fetch', refresh: grant });
        expectObservable(s.refresh$).toBe('10ms (t|)', { t: { accessToken: 'm-1', expiresAt: 60_010 } });
      });
    });

    it('starts with no tokens, and is not revoked', () => {
      const { session: s } = session({ tokens: 'fetch', refresh: countingGrant().grant });
      expect(s.state).toMatchObject({ tokens: null, generation: 0, revoked: false });
    });
  });

  describe('when requests meet a 401', () => {
    it('makes one grant for every 401 of a generation, and answers late 401s with the current token', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const { grant, given } = countingGrant();
        const { session: s } = session({ tokens: 'fetch', refresh: grant });
        s.token().subscribe(); // m-1 at 10 ms, generation 1
        const rejected = hot('20ms a-b-c 20ms d', { a: 1, b: 1, c: 1, d: 1 });
        expectObservable(rejected.pipe(mergeMap((generation) => token(s.token(generation))))).toBe('30ms (xxx) 10ms x', { x: 'm-2' });
        testScheduler.flush();
        expect(given).toHaveLength(2);
      });
    });
  });

  describe('when the token expires', () => {
    it('renews before sending a token that expires within the skew (rule 5), once for all requests', () => {
      testScheduler.run(() => {
        const { grant, given } = countingGrant(60_000);
        const { session: s } = session({ tokens: 'fetch', refresh: grant, skew: 5_000 });
        s.token().subscribe();
        const late = Array.from({ length: 5 }, () => record(() => token(s.token()), 55_100));
        testScheduler.flush();
        expect(late.map((r) => [r.at, r.value])).toEqual(Array(5).fill([55_110, 'm-2']));
        expect(given).toHaveLength(2);
      });
    });

    it('with refreshAhead, renews on a timer before each expiry with no request waiting', () => {
      testScheduler.run(() => {
        const { grant, given } = countingGrant(2_000);
        const { session: s } = session({ tokens: 'fetch', refresh: grant, refreshAhead: true, skew: 30_000 });
        s.token().subscribe();
        testScheduler.schedule(() => s.dispose(), 10_000);
        testScheduler.flush();
        // Each 2 s token renewed a quarter of its life (500 ms) before expiry: 10, 1520, 3030, ...
        expect(given.length).toBeGreaterThanOrEqual(6);
        expect(given.length).toBeLessThanOrEqual(7);
      });
    });
  });

  describe('when the token endpoint fails transiently', () => {
    it('retries the grant with backoff and gives every waiter the token', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const failing = cold('-#', undefined, new NetworkError('POST', 'https://auth.test/token', new Error('down')));
        const endpoint = cold('--(t|)', { t: { accessToken: 'm-1' } });
        let calls = 0;
        const { session: s } = session({ tokens: 'fetch', refresh: () => (++calls === 1 ? failing : endpoint), refreshRetry: { maxRetries: 3, baseDelay: 100, maxDelay: 100, jitter: false } });
        expectObservable(token(s.token())).toBe('1ms 100ms --(a|)', { a: 'm-1' });
        expectSubscriptions(failing.subscriptions).toBe('^!');
        expectSubscriptions(endpoint.subscriptions).toBe('101ms ^-!');
      });
    });

    it('fails every waiter with a TokenRefreshError by the refresh deadline when the endpoint never answers', () => {
      testScheduler.run(({ cold }) => {
        const { session: s } = session({ tokens: 'fetch', refresh: () => cold('-'), refreshDeadline: 3_000, refreshTimeout: 10_000 });
        const waiters = Array.from({ length: 3 }, () => record(() => s.token()));
        testScheduler.flush();
        expect(waiters.map((w) => [w.at, (w.error as TokenRefreshError).reason])).toEqual(Array(3).fill([3_000, 'timeout']));
        expect(s.state.revoked).toBe(false);
      });
    });
  });

  describe('when every waiter leaves', () => {
    it('does not cancel the grant: its token is kept for the next request (rule 3)', () => {
      testScheduler.run(({ cold, expectSubscriptions }) => {
        const endpoint = cold('---(t|)', { t: { accessToken: 'm-1' } });
        const { session: s } = session({ tokens: 'fetch', refresh: () => endpoint });
        const subscription = s.token().subscribe();
        testScheduler.schedule(() => subscription.unsubscribe(), 1);
        const next = record(() => token(s.token()), 5);
        expectSubscriptions(endpoint.subscriptions).toBe('^--!');
        testScheduler.flush();
        expect(next).toEqual({ at: 5, value: 'm-1' });
      });
    });
  });

  describe('when the grant refuses the client (TokenRevokedError)', () => {
    it('ends the session: every waiter and every later request fail with the machine TokenRevokedError, and no grant is made again', () => {
      testScheduler.run(({ cold }) => {
        let calls = 0;
        const { session: s, events } = session({ tokens: 'fetch', refresh: () => (calls++, cold('--#', undefined, refusedClient())) });
        const waiters = Array.from({ length: 5 }, () => record(() => s.token()));
        const later = record(() => s.token(), 100);
        const refreshed = record(() => s.refresh$, 200);
        testScheduler.flush();
        for (const ended of [...waiters, later, refreshed]) {
          expect(ended.error).toBeInstanceOf(TokenRevokedError);
          expect((ended.error as Error).message).toMatch(/machine session ended/);
        }
        expect(waiters.map((w) => w.at)).toEqual(Array(5).fill(2));
        expect([later.at, refreshed.at]).toEqual([100, 200]);
        expect(calls).toBe(1);
        expect(s.state).toMatchObject({ tokens: null, revoked: true });
        expect(events.filter((e) => e.type === 'session-revoked')).toHaveLength(1);
      });
    });

    it("stops the requests in flight with the machine TokenRevokedError too: revoked$ carries the session's error", () => {
      testScheduler.run(({ cold }) => {
        const { session: s } = session({ tokens: 'fetch', refresh: () => cold('--#', undefined, refusedClient()) });
        const inFlight = record(() => s.revoked$, 0);
        const after = record(() => s.revoked$, 50);
        s.token().subscribe({ error: () => undefined });
        testScheduler.flush();
        for (const watched of [inFlight, after]) {
          expect(watched.value).toBeInstanceOf(TokenRevokedError);
          expect((watched.value as Error).message).toMatch(/machine session ended: the token endpoint refused the client/);
        }
      });
    });

    it('stays a non-transient TokenRefreshError for other errors (invalid_scope): the session goes on', () => {
      testScheduler.run(({ cold }) => {
        const invalidScope = new TokenRefreshError('invalid_scope', { reason: 'oauth-error', oauthError: 'invalid_scope' });
        let calls = 0;
        const { session: s } = session({ tokens: 'fetch', refresh: () => (++calls === 1 ? cold('-#', undefined, invalidScope) : cold('-(t|)', { t: { accessToken: 'm-2' } })) });
        const first = record(() => s.token());
        const second = record(() => token(s.token()), 10);
        testScheduler.flush();
        expect(first.error).toBe(invalidScope);
        expect(second).toEqual({ at: 11, value: 'm-2' });
        expect(calls).toBe(2);
      });
    });
  });

  it('refuses a grant answer without an access token as a malformed response', () => {
    testScheduler.run(({ cold }) => {
      const { session: s } = session({ tokens: 'fetch', refresh: () => cold('-(t|)', { t: { refreshToken: 'r-only' } }) });
      const first = record(() => s.token());
      testScheduler.flush();
      expect(first.error).toMatchObject({ name: 'TokenRefreshError', reason: 'invalid-response', message: 'The token response is malformed: no accessToken' });
    });
  });

  describe('signOut', () => {
    it('forgets the token: the next request fetches a new one', () => {
      testScheduler.run(() => {
        const { grant, given } = countingGrant();
        const { session: s } = session({ tokens: 'fetch', refresh: grant });
        s.token().subscribe();
        testScheduler.schedule(() => s.signOut(), 20);
        const next = record(() => token(s.token()), 30);
        testScheduler.flush();
        expect(next).toEqual({ at: 40, value: 'm-2' });
        expect(given).toHaveLength(2);
      });
    });

    it('with { revoke: true }, forgets the token: there is nothing to revoke, and no error', () => {
      testScheduler.run(() => {
        const { session: s } = session({ tokens: 'fetch', refresh: countingGrant().grant });
        s.token().subscribe();
        testScheduler.flush();
        expect(s.state.tokens).not.toBeNull();
        expect(() => s.signOut({ revoke: true })).not.toThrow();
        expect(s.state.tokens).toBeNull();
      });
    });
  });

  it('refuses a `revoke` in the config: there is no refresh token to revoke', () => {
    expect(() => createTokenSession({ tokens: 'fetch', refresh: () => throwError(() => new Error('unused')), revoke: () => [] })).toThrow(
      'createTokenSession: a machine session takes no `revoke`',
    );
  });

  it('makes one grant for two members sharing a store in memory, the second adopting the first one\'s token', () => {
    testScheduler.run(() => {
      const { grant, given } = countingGrant();
      const share = shareInMemory();
      const a = session({ tokens: 'fetch', refresh: grant, share }).session;
      const b = session({ tokens: 'fetch', refresh: grant, share }).session;
      const fromA = record(() => token(a.token()));
      const fromB = record(() => token(b.token()), 1);
      testScheduler.flush();
      expect([fromA.value, fromB.value]).toEqual(['m-1', 'm-1']);
      expect(given).toHaveLength(1);
    });
  });
});
