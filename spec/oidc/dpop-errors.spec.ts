import type { JWK } from 'jose';
import { firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { dpopBinding, type DpopBindingConfig } from '../../lib/dpop/dpop-binding.js';
import { createDpopKey, type DpopKey } from '../../lib/dpop/dpop-key.js';
import { DpopProofError } from '../../lib/dpop/proof-refusal.js';
import { TokenRefreshError } from '../../lib/errors/token-refresh-error.js';
import { TokenRevokedError } from '../../lib/errors/token-revoked-error.js';
import { oauth2RefreshGrant } from '../../lib/oauth2/oauth2-refresh-grant.js';
import { oauth2Revocation } from '../../lib/oauth2/oauth2-revocation.js';
import { createTokenSession, type TokenSession } from '../../lib/session/create-token-session.js';
import type { TokenSet } from '../../lib/session/token-set.js';
import { CLIENTS, provider, useOidcProvider } from './oidc-provider-fixtures.js';

/*
 * Issue 23, the attacks at the token endpoint: oidc-provider refusing our proofs, and refresh
 * tokens replayed. A refused proof is a configuration error (a `TokenRefreshError` whose cause
 * is a `DpopProofError`), never a revocation, and the refresh token is not spent; a replayed or
 * revoked refresh token ends the session once (TokenRevokedError), without a loop.
 */

const TEN_MINUTES = 600_000;
const sessions: TokenSession[] = [];
afterEach(() => sessions.splice(0).forEach((s) => s.dispose()));

/** A user signed in with a proof of `key`; the token set given to sessions, marked expired so that the first token() refreshes. */
async function signedIn(key: DpopKey): Promise<TokenSet> {
  const tokens = await provider.signIn({ dpop: { privateKey: key.privateKey, publicJwk: key.publicJwk as JWK } });
  return { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, expiresAt: Date.now() - 1000, tokenType: 'DPoP' };
}

function session(tokens: TokenSet, binding: DpopBindingConfig): TokenSession {
  const dpop = dpopBinding(binding);
  const clientId = CLIENTS.public.clientId;
  const made = createTokenSession({
    tokens,
    refresh: oauth2RefreshGrant({ tokenUrl: provider.tokenUrl, clientId, dpop }),
    revoke: oauth2Revocation({ revocationUrl: provider.revocationUrl, clientId, dpop }),
    dpop,
  });
  sessions.push(made);
  return made;
}

const refreshCalls = () => provider.calls({ grantType: 'refresh_token' });
const callsSince = (before: number) => refreshCalls().slice(before).map((c) => [c.status, c.error ?? null]);
const tokenOf = (s: TokenSession) => firstValueFrom(s.token());
const settle = (ms = 300) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a client clock 10 min ahead, against oidc-provider without DPoP nonces', { timeout: 30_000 }, () => {
  useOidcProvider({ dpopNonces: false, dpopNonceSecret: false });

  it('is the typed configuration error naming the clock: one call, the refresh token not spent, the session not revoked, the next correct call works', async () => {
    const key = await createDpopKey();
    const tokens = await signedIn(key);
    const skewed = session(tokens, { key, now: () => Date.now() + TEN_MINUTES });
    const before = refreshCalls().length;

    const error = (await tokenOf(skewed).catch((e: unknown) => e)) as TokenRefreshError;
    expect(error).toBeInstanceOf(TokenRefreshError);
    expect(error).toMatchObject({ reason: 'oauth-error', oauthError: 'invalid_dpop_proof', transient: false });
    expect(error.cause).toBeInstanceOf(DpopProofError);
    const cause = error.cause as DpopProofError;
    expect(cause.reason).toBe('clock-skew');
    expect(Math.abs(cause.clockSkew! - 600)).toBeLessThanOrEqual(3);
    expect(error.message).toMatch(/this clock is (59\d|60\d) s ahead of the server's/);
    expect(error.message).not.toContain(tokens.refreshToken);
    expect(callsSince(before)).toEqual([[400, 'invalid_dpop_proof']]);

    // Not a revocation: the session keeps its tokens, the provider its refresh token.
    await settle();
    expect(skewed.state.revoked).toBeFalsy();
    expect(await firstValueFrom(skewed.tokens$)).toMatchObject({ refreshToken: tokens.refreshToken });
    expect(await provider.isActive(tokens.refreshToken!, 'RefreshToken')).toBe(true);
    expect(callsSince(before)).toHaveLength(1); // no loop

    // The clock put right (a binding with the right clock): the same refresh token works.
    const fixed = session(tokens, { key });
    const fresh = await tokenOf(fixed);
    expect(fresh.accessToken).not.toBe(tokens.accessToken);
    expect(callsSince(before)).toEqual([
      [400, 'invalid_dpop_proof'],
      [200, null],
    ]);
  });

  it('a burst of 50 meeting the refused proof shares one grant call and its error: no loop, no revocation', async () => {
    const key = await createDpopKey();
    const tokens = await signedIn(key);
    const skewed = session(tokens, { key, now: () => Date.now() - TEN_MINUTES });
    const before = refreshCalls().length;

    const errors = await Promise.all(Array.from({ length: 50 }, () => tokenOf(skewed).catch((e: unknown) => e)));
    expect(new Set(errors.map((e) => (e as TokenRefreshError).oauthError))).toEqual(new Set(['invalid_dpop_proof']));
    expect((errors[0] as TokenRefreshError).message).toMatch(/this clock is (59\d|60\d) s behind the server's/);
    await settle();
    expect(callsSince(before)).toEqual([[400, 'invalid_dpop_proof']]);
    expect(skewed.state.revoked).toBeFalsy();
    expect(await provider.isActive(tokens.refreshToken!, 'RefreshToken')).toBe(true);
  });

  it('a clock within the window is no error', async () => {
    const key = await createDpopKey();
    const tokens = await signedIn(key);
    const before = refreshCalls().length;
    await tokenOf(session(tokens, { key, now: () => Date.now() + 60_000 }));
    expect(callsSince(before)).toEqual([[200, null]]);
  });
});

describe('a client clock 10 min ahead, against oidc-provider with nonces required', { timeout: 30_000 }, () => {
  useOidcProvider({ dpopNonces: true });

  it('works: the provider checks iat only in a proof without a nonce, and answers it with use_dpop_nonce, which the one retry answers', async () => {
    const key = await createDpopKey();
    const tokens = await signedIn(key);
    const before = refreshCalls().length;
    const fresh = await tokenOf(session(tokens, { key, now: () => Date.now() + TEN_MINUTES }));
    expect(fresh.accessToken).not.toBe(tokens.accessToken);
    expect(callsSince(before)).toEqual([
      [400, 'use_dpop_nonce'],
      [200, null],
    ]);
  });
});

describe('replayed and revoked refresh tokens, against oidc-provider (nonces required, rotation)', { timeout: 30_000 }, () => {
  useOidcProvider({ dpopNonces: true });

  it('a replayed (rotated-away) refresh token ends the replaying session and, the grant revoked, the rightful one: TokenRevokedError once each, no loop', async () => {
    const key = await createDpopKey();
    const tokens = await signedIn(key);
    const rightful = session(tokens, { key });
    await tokenOf(rightful); // rotates: the signed-in refresh token is spent
    const rotated = (await firstValueFrom(rightful.tokens$))!;
    expect(rotated.refreshToken).not.toBe(tokens.refreshToken);

    // Someone replays the old refresh token, with the right key even.
    const before = refreshCalls().length;
    const replaying = session(tokens, { key });
    await expect(tokenOf(replaying)).rejects.toBeInstanceOf(TokenRevokedError);
    expect(callsSince(before).filter(([status]) => status === 200)).toEqual([]);
    expect(callsSince(before).at(-1)).toEqual([400, 'invalid_grant']);
    expect(replaying.state.revoked).toBe(true);
    // oidc-provider revokes the whole grant on reuse: the rightful session's refresh token dies too.
    expect(await provider.isActive(rotated.refreshToken!, 'RefreshToken')).toBe(false);

    const middle = refreshCalls().length;
    rightful.setTokens({ ...rotated, expiresAt: Date.now() - 1000 });
    await expect(tokenOf(rightful)).rejects.toBeInstanceOf(TokenRevokedError);
    await settle();
    expect(callsSince(middle)).toEqual([[400, 'invalid_grant']]); // the nonce is known: one call, no loop
    expect(rightful.state.revoked).toBe(true);
  });

  it('after signOut({ revoke: true }), the revoked refresh token replayed is TokenRevokedError, one grant call, no loop', async () => {
    const key = await createDpopKey();
    const tokens = await signedIn(key);
    const first = session(tokens, { key });
    first.signOut({ revoke: true });
    const until = Date.now() + 5_000;
    while (await provider.isActive(tokens.refreshToken!, 'RefreshToken')) {
      if (Date.now() > until) throw new Error('not revoked within 5 s');
      await settle(50);
    }
    expect(provider.revocationCalls.at(-1)).toMatchObject({ status: 200, dpop: true });

    const before = refreshCalls().length;
    const replaying = session(tokens, { key });
    await expect(tokenOf(replaying)).rejects.toBeInstanceOf(TokenRevokedError);
    await settle();
    const calls = callsSince(before);
    expect(calls.at(-1)).toEqual([400, 'invalid_grant']);
    expect(calls.length).toBeLessThanOrEqual(2); // at most one nonce challenge before it
    expect(replaying.state.revoked).toBe(true);
  });
});
