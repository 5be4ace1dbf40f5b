// lib/session/session-controls.ts: what the app uses (setTokens, signOut, dispose), here
// signOut({ revoke: true }) (RFC 7009 revocation at the server, best effort).
import { map, NEVER, of, throwError } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { TokenRefreshError } from '../../lib/errors/token-refresh-error.js';
import { createTokenSession, type TokenSessionConfig } from '../../lib/session/create-token-session.js';
import type { SessionEvent } from '../../lib/session/session-event.js';
import { shareStore } from '../../lib/session/sharing/share-store.js';
import { createTestScheduler } from '../helpers/marbles.js';
import { outcome } from '../helpers/outcomes.js';
import { userOf, userTokens, virtualLock, virtualStore } from '../helpers/virtual-store.js';
import { session, stopped, t0, t1, t2, testScheduler, useTestScheduler } from './session-fixtures.js';

// Issue 8, item 4 and rule 13: every wait of a session is bounded. A token endpoint that never
// answers, a store whose read or write never settles, a lock never granted: every waiter fails
// with a typed TokenRefreshError by `refreshDeadline`, and a request waits for the session's first
// read of the store at most `storeTimeout`. A waiter that leaves does not cancel the refresh
// (rule 3). Also signOut({ revoke: true }) (item 16): best effort, never blocking the sign-out.
//
// On commit 8757acd these fail: a hung token endpoint held every waiter 41.7 s (4 attempts x 10 s
// + backoff, there was no `refreshDeadline`); a store read/write or a lock that never answered held
// requests forever (no `storeTimeout`, no deadline around the lock); `signOut` took no options
// and the config had no `revoke`.
describe('hardening: signOut({ revoke: true })', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = createTestScheduler();
  });

  function watched(config: Partial<TokenSessionConfig>) {
    const session = createTokenSession({ tokens: userTokens('alice'), refresh: () => NEVER, scheduler: testScheduler, ...config });
    const events: SessionEvent[] = [];
    session.events$.subscribe((event) => events.push(event));
    return { session, events };
  }

  it('calls revoke with the refresh token and signs out at once, without waiting for it', () => {
    testScheduler.run(({ cold, expectSubscriptions }) => {
      const revocation = cold('500ms (x|)', { x: 'ok' });
      const revoked: string[] = [];
      const { session: s, events } = watched({ revoke: (token) => (revoked.push(token), revocation) });
      s.signOut({ revoke: true });
      expect(s.state.tokens).toBeNull();
      expect(events).toEqual([{ type: 'tokens-changed', generation: 1, change: 'sign-out', origin: 'local' }]);
      expect(revoked).toEqual(['alice-r0']);
      expectSubscriptions(revocation.subscriptions).toBe('^ 499ms !');
    });
  });

  it('changes nothing when revoke fails, throws, or rejects', async () => {
    for (const revoke of [
      () => throwError(() => new Error('revocation endpoint down')),
      () => {
        throw new Error('bad revoke function');
      },
    ]) {
      testScheduler.run(() => {
        const { session: s, events } = watched({ revoke });
        expect(() => s.signOut({ revoke: true })).not.toThrow();
        testScheduler.flush();
        expect(s.state.tokens).toBeNull();
        expect(events.map((e) => e.type)).toEqual(['tokens-changed']);
      });
    }
    // A rejected promise (real async): no unhandled rejection, no change.
    const s = createTokenSession({ tokens: userTokens('alice'), refresh: () => NEVER, revoke: () => Promise.reject(new Error('nope')) });
    s.signOut({ revoke: true });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(s.state.tokens).toBeNull();
    s.dispose();
  });

  it('changes nothing when revoke hangs, and stops waiting for it after refreshTimeout', () => {
    testScheduler.run(({ cold, expectSubscriptions }) => {
      const revocation = cold('-');
      const { session: s, events } = watched({ revoke: () => revocation, refreshTimeout: 2_000 });
      s.signOut({ revoke: true });
      s.setTokens(userTokens('bob'));
      testScheduler.flush();
      expect(s.state.tokens).toEqual(userTokens('bob'));
      expect(events.map((e) => e.type === 'tokens-changed' && e.change)).toEqual(['sign-out', 'sign-in']);
      expectSubscriptions(revocation.subscriptions).toBe('^ 1999ms !');
    });
  });

  it('does not call revoke on a plain signOut()', () => {
    testScheduler.run(() => {
      let calls = 0;
      const { session: s } = watched({ revoke: () => (calls++, NEVER) });
      s.signOut();
      expect(calls).toBe(0);
      expect(s.state.tokens).toBeNull();
    });
  });

  // Issue 21 item 7: a TypeError before signing out left the user signed in. The sign-out
  // always happens; the mistake is still a TypeError, thrown after it.
  it('without `revoke` configured: signs out, then throws a TypeError', () => {
    testScheduler.run(() => {
      const { session: s, events } = watched({});
      expect(() => s.signOut({ revoke: true })).toThrow(TypeError);
      expect(s.state.tokens).toBeNull();
      expect(events).toEqual([{ type: 'tokens-changed', generation: 1, change: 'sign-out', origin: 'local' }]);
      expect(() => s.signOut({ revoke: true })).toThrow(/revoke/);
      expect(s.state.tokens).toBeNull();
    });
  });

  it('stops a refresh in flight: its waiters fail with reason signed-out, and revoke gets the refresh token', async () => {
    const revoked: string[] = [];
    const s = createTokenSession({ tokens: userTokens('alice'), refresh: () => NEVER, revoke: (token) => (revoked.push(token), Promise.resolve()) });
    const waiting = outcome(s.token(0));
    s.signOut({ revoke: true });
    const result = await waiting;
    expect(result.ok).toBe(false);
    expect(reasonOf(result.ok ? undefined : result.error)).toBe('signed-out');
    expect(revoked).toEqual(['alice-r0']);
    expect(userOf(s.state.tokens)).toBeNull();
    s.dispose();
  });
  it('revokes the rotated refresh token of a refresh cut short, which the old one no longer reaches', () => {
    testScheduler.run(({ cold, expectSubscriptions }) => {
      const endpoint = cold('----(t|)', { t: userTokens('alice', 1) });
      const revoked: { token: string; at: number }[] = [];
      const revoke = (token: string) => (revoked.push({ token, at: testScheduler.now() }), cold('(x|)', { x: 'ok' }));
      const { session: s, events } = watched({ refresh: () => endpoint, revoke });
      const waiter: unknown[] = [];
      s.token(0).subscribe({ next: (v) => waiter.push(v), error: (e: unknown) => waiter.push(reasonOf(e)) });
      testScheduler.schedule(() => s.signOut({ revoke: true }), 2);
      testScheduler.flush();
      // The call ran to its end instead of being aborted at the sign-out...
      expectSubscriptions(endpoint.subscriptions).toBe('^---!');
      // ...both refresh tokens are revoked, the old at once and the rotated one when it landed...
      expect(revoked).toEqual([
        { token: 'alice-r0', at: 2 },
        { token: 'alice-r1', at: 4 },
      ]);
      // ...and nobody got its tokens: the waiter failed as signed out, the session stays signed out.
      expect(waiter).toEqual(['signed-out']);
      expect(s.state.tokens).toBeNull();
      expect(events.map((e) => e.type)).toEqual(['refresh-started', 'refresh-failed', 'tokens-changed']);
    });
  });

  // With a store, a refresh whose call has answered writes its result before the lock goes
  // (spec/session/sharing/locked-refresh.spec.ts). A sign-out then found the call ended and revoked only the old
  // refresh token: the rotated one, live at the server, reached the store and was never revoked.
  it('revokes the rotated refresh token of a refresh whose call answered but whose store write is still out', () => {
    testScheduler.run(({ cold }) => {
      const store = virtualStore(testScheduler);
      const endpoint = cold('----(t|)', { t: userTokens('alice', 1) });
      const revoked: { token: string; at: number }[] = [];
      const revoke = (token: string) => (revoked.push({ token, at: testScheduler.now() }), cold('(x|)', { x: 'ok' }));
      const { session: s } = watched({ refresh: () => endpoint, revoke, share: shareStore(store, virtualLock()) });
      testScheduler.schedule(() => {
        store.knobs.applyDelay = 10; // the refresh's write, sent at 5, lands at 15
        s.token(s.state.generation).subscribe({ error: () => undefined });
      }, 1);
      testScheduler.schedule(() => s.signOut({ revoke: true }), 8);
      testScheduler.flush();
      expect(revoked.map((r) => r.token).sort()).toEqual(['alice-r0', 'alice-r1']);
      expect(store.current?.tokens ?? null).toBeNull();
      expect(s.state.tokens).toBeNull();
    });
  });

  it('still aborts the call of a refresh cut short by a plain signOut()', () => {
    testScheduler.run(({ cold, expectSubscriptions }) => {
      const endpoint = cold('----(t|)', { t: userTokens('alice', 1) });
      const { session: s } = watched({ refresh: () => endpoint, revoke: () => cold('(x|)', { x: 'ok' }) });
      s.token(0).subscribe({ error: () => undefined });
      testScheduler.schedule(() => s.signOut(), 2);
      testScheduler.flush();
      expectSubscriptions(endpoint.subscriptions).toBe('^-!');
    });
  });
});

function reasonOf(error: unknown) {
  return error instanceof TokenRefreshError ? error.reason : String(error);
}

describe('createTokenSession', () => {
  useTestScheduler();

  describe('when signed out', () => {
    it('hands out no token, and refresh$ fails', () => {
      const { session: s } = session({ tokens: null, refresh: () => of(t1) });
      let grant: unknown;
      s.token().subscribe((g) => (grant = g));
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
        expectObservable(s.token(0)).toBe('--#', undefined, stopped);
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
        expectObservable(s.token(0).pipe(map(({ accessToken, signIn }) => [accessToken, signIn === before]))).toBe('--(a|)', { a: ['access-2', false] });
        expectSubscriptions(endpoint.subscriptions).toBe('^----!');
        expectObservable(s.tokens$).toBe('a-b', { a: t0, b: t2 });
      });
    });

    it('keeps the sign-in id across a refresh and makes a new one on each sign-in and sign-out', () => {
      testScheduler.run(({ cold }) => {
        const { session: s } = session({ refresh: () => cold('-(t|)', { t: t1 }) });
        const ids = [s.state.signIn];
        s.token(0).subscribe();
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
});
