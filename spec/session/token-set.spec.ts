// lib/session/token-set.ts (normalizeTokenSet): the checks every token set passes where it enters.
import { asyncScheduler, defer, firstValueFrom, lastValueFrom, of } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { dpopBinding } from '../../lib/dpop/dpop-binding.js';
import { createDpopKey } from '../../lib/dpop/dpop-key.js';
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

  // With the session's binding (rule 15: DPoP-bound tokens are refreshed only through it), which
  // stamps them with its key's thumbprint.
  it('carries it through setTokens and a refresh into tokens$', async () => {
    const key = await createDpopKey();
    const dpopSession = createTokenSession({ tokens: { accessToken: 'a1', refreshToken: 'r1', tokenType: 'DPoP' }, refresh: () => of({ accessToken: 'a2', tokenType: 'DPoP' as const }), dpop: dpopBinding({ key }) });
    expect(await firstValueFrom(dpopSession.tokens$)).toMatchObject({ accessToken: 'a1', tokenType: 'DPoP' });
    expect(await firstValueFrom(dpopSession.refresh$)).toEqual({ accessToken: 'a2', refreshToken: 'r1', tokenType: 'DPoP', keyThumbprint: key.thumbprint });
    dpopSession.dispose();
  });
});

describe('normalizeTokenSet: keyThumbprint (issue 23, rule 15)', () => {
  const thumbprint = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';

  it("keeps a key's JWK thumbprint beside tokenType 'DPoP'", () => {
    expect(normalizeTokenSet({ accessToken: 'a', tokenType: 'DPoP', keyThumbprint: thumbprint }, 0)).toEqual({ accessToken: 'a', tokenType: 'DPoP', keyThumbprint: thumbprint });
  });

  it('refuses one of another shape, or without tokenType DPoP, naming the field and quoting nothing', () => {
    for (const keyThumbprint of ['', 'short', `${thumbprint}=`, `${thumbprint.slice(1)}+`, 43, null, { x: 1 }]) {
      const problem = normalizeTokenSet({ accessToken: 'a', tokenType: 'DPoP', keyThumbprint }, 0);
      expect(problem).toEqual(expect.stringContaining('keyThumbprint'));
      expect(problem).not.toContain('short');
    }
    expect(normalizeTokenSet({ accessToken: 'a', keyThumbprint: thumbprint }, 0)).toEqual(expect.stringContaining('keyThumbprint'));
    expect(normalizeTokenSet({ accessToken: 'a', tokenType: 'Bearer', keyThumbprint: thumbprint }, 0)).toEqual(expect.stringContaining('keyThumbprint'));
  });
});
