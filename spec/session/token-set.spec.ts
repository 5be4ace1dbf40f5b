// lib/session/token-set.ts (normalizeTokenSet): the checks every token set passes where it enters.
import { asyncScheduler, defer, firstValueFrom, lastValueFrom, of } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { TokenRefreshError } from '../../lib/errors/token-refresh-error.js';
import { createTokenSession } from '../../lib/session/create-token-session.js';
import { normalizeTokenSet } from '../../lib/session/token-set.js';
import { errorOf } from '../helpers/outcomes.js';
import { session, t0, testScheduler, useTestScheduler } from './session-fixtures.js';

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
    const error = await errorOf(s.token(s.state.generation));
    expect(error).toBeInstanceOf(TokenRefreshError);
    expect((error as TokenRefreshError).reason).toBe('invalid-response');
    expect((error as TokenRefreshError).transient).toBe(false);
    expect((error as Error).message).toMatch(/multiply it by 1000/);
    expect(calls).toBe(1);
    // The old tokens are kept and sent as they are.
    expect(await firstValueFrom(s.token())).toEqual({ accessToken: 'a', generation: s.state.generation, signIn: s.state.signIn });
    s.dispose();
  });

  it('still accepts epoch milliseconds under the real clock', async () => {
    const s = createTokenSession({ tokens: { accessToken: 'a', refreshToken: 'r', expiresAt: Date.now() + 3_600_000 }, refresh: () => of({ accessToken: 'b' }) });
    expect(await lastValueFrom(s.token())).toEqual({ accessToken: 'a', generation: 0, signIn: s.state.signIn });
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

describe('createTokenSession', () => {
  useTestScheduler();

  describe('when the token endpoint sends no new refresh token', () => {
    it('keeps the old refresh token in the same step as the new access token', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const { session: s } = session({ refresh: () => cold('-(t|)', { t: { accessToken: 'access-1' } }) });
        s.token(0).subscribe();
        expectObservable(s.tokens$).toBe('ab', { a: t0, b: { accessToken: 'access-1', refreshToken: 'refresh-0' } });
      });
    });
  });
});

describe('normalizeTokenSet: tokenType (issue 23)', () => {
  it("keeps tokenType 'DPoP' (the tokens are bound to the session's DPoP key) and leaves anything else out: Bearer", () => {
    expect(normalizeTokenSet({ accessToken: 'a', tokenType: 'DPoP' }, 0)).toEqual({ accessToken: 'a', tokenType: 'DPoP' });
    for (const tokenType of ['Bearer', 'dpop', '', 1, null]) expect(normalizeTokenSet({ accessToken: 'a', tokenType }, 0)).toEqual({ accessToken: 'a' });
  });

  it('carries it through setTokens and a refresh into tokens$', async () => {
    const dpopSession = createTokenSession({ tokens: { accessToken: 'a1', refreshToken: 'r1', tokenType: 'DPoP' }, refresh: () => of({ accessToken: 'a2', tokenType: 'DPoP' as const }) });
    expect(await firstValueFrom(dpopSession.tokens$)).toMatchObject({ accessToken: 'a1', tokenType: 'DPoP' });
    expect(await firstValueFrom(dpopSession.refresh$)).toEqual({ accessToken: 'a2', refreshToken: 'r1', tokenType: 'DPoP' });
    dpopSession.dispose();
  });
});
