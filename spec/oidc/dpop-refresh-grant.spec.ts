import type { JWK } from 'jose';
import { firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { dpopBinding } from '../../lib/dpop/dpop-binding.js';
import { createDpopKey, type DpopKey } from '../../lib/dpop/dpop-key.js';
import { oauth2RefreshGrant } from '../../lib/oauth2/oauth2-refresh-grant.js';
import { oauth2Revocation } from '../../lib/oauth2/oauth2-revocation.js';
import { createTokenSession, type TokenSession } from '../../lib/session/create-token-session.js';
import type { TokenSet } from '../../lib/session/token-set.js';
import { CLIENTS, introspect as introspectToken, provider, useOidcProvider } from './oidc-provider-fixtures.js';

/*
 * Issue 23, the token calls wired: a session whose refresh grant carries DPoP proofs
 * (`dpop: dpopBinding({ key })`), against oidc-provider with DPoP and nonces required, 2 s access
 * tokens and refresh token rotation. One refresh grant per expiry for a burst (rules 1-3), the
 * nonce challenge answered once and not counted as a refusal (rule 14), the tokens bound to the key.
 */
describe('a session refreshing with DPoP against oidc-provider (nonces required)', { timeout: 30_000 }, () => {
  useOidcProvider({ dpopNonces: true });

  const sessions: TokenSession[] = [];
  afterEach(() => sessions.splice(0).forEach((s) => s.dispose()));

  const introspect = (token: string) => introspectToken(provider, token);

  /** A user signed in with a proof of `key` (the code exchange binds the tokens), and a session refreshing with the same key. */
  async function dpopSession(key: DpopKey): Promise<{ session: TokenSession; signedIn: TokenSet }> {
    const tokens = await provider.signIn({ dpop: { privateKey: key.privateKey, publicJwk: key.publicJwk as JWK } });
    expect(tokens.tokenType).toBe('DPoP');
    const signedIn: TokenSet = { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, expiresAt: Date.now() + tokens.expiresIn * 1000, tokenType: 'DPoP' };
    const dpop = dpopBinding({ key });
    const clientId = CLIENTS.public.clientId;
    const session = createTokenSession({
      tokens: signedIn,
      refresh: oauth2RefreshGrant({ tokenUrl: provider.tokenUrl, clientId, dpop }),
      revoke: oauth2Revocation({ revocationUrl: provider.revocationUrl, clientId, dpop }),
      dpop, // rule 15: DPoP-bound tokens are refreshed and revoked only through the session's binding
    });
    sessions.push(session);
    return { session, signedIn };
  }

  const current = (session: TokenSession) => firstValueFrom(session.tokens$) as Promise<TokenSet>;
  const pastExpiry = async (tokens: TokenSet) => new Promise((resolve) => setTimeout(resolve, Math.max(0, tokens.expiresAt! - Date.now()) + 100));
  const burst = (session: TokenSession) => Promise.all(Array.from({ length: 50 }, () => firstValueFrom(session.token())));
  const refreshCalls = () => provider.calls({ grantType: 'refresh_token' });

  it('a burst of 50 after expiry makes one refresh grant (after one nonce challenge), bound to the key, and the refresh token rotates; the next expiry needs no challenge', async () => {
    const key = await createDpopKey();
    const { session, signedIn } = await dpopSession(key);

    await pastExpiry(signedIn);
    const before = refreshCalls().length;
    const first = await burst(session);

    // One grant: the challenge (the binding had no nonce yet) spends nothing, then the grant with the nonce.
    expect(refreshCalls().slice(before).map((c) => [c.status, c.error, c.dpop])).toEqual([
      [400, 'use_dpop_nonce', true],
      [200, undefined, true],
    ]);
    const refreshed = await current(session);
    expect(new Set(first.map((t) => t.accessToken))).toEqual(new Set([refreshed.accessToken]));
    expect(refreshed.accessToken).not.toBe(signedIn.accessToken);
    expect(refreshed.tokenType).toBe('DPoP');
    // Bound to our key; the refresh token rotated, the old one spent, the new one alive.
    expect(await introspect(refreshed.accessToken!)).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt: key.thumbprint } });
    expect(refreshed.refreshToken).not.toBe(signedIn.refreshToken);
    expect(await provider.isActive(signedIn.refreshToken!, 'RefreshToken')).toBe(false);
    expect(await provider.isActive(refreshed.refreshToken!, 'RefreshToken')).toBe(true);
    expect(await provider.boundKey(refreshed.refreshToken!, 'RefreshToken')).toBe(key.thumbprint);
    expect(first).toHaveLength(50);

    // The second expiry: one grant again, with the nonce remembered from the first: no challenge.
    await pastExpiry(refreshed);
    const middle = refreshCalls().length;
    const second = await burst(session);
    expect(refreshCalls().slice(middle).map((c) => [c.status, c.error, c.dpop])).toEqual([[200, undefined, true]]);
    const again = await current(session);
    expect(new Set(second.map((t) => t.accessToken))).toEqual(new Set([again.accessToken]));
    expect(again.refreshToken).not.toBe(refreshed.refreshToken);
    expect((await introspect(again.accessToken!)).cnf?.jkt).toBe(key.thumbprint);
    expect(await provider.isActive(again.refreshToken!, 'RefreshToken')).toBe(true);
    expect(await provider.boundKey(again.refreshToken!, 'RefreshToken')).toBe(key.thumbprint);
  });

  it('revokes the DPoP-bound refresh token on signOut({ revoke: true }), with a proof', async () => {
    const key = await createDpopKey();
    const { session, signedIn } = await dpopSession(key);
    const before = provider.revocationCalls.length;

    session.signOut({ revoke: true });
    await waitFor(async () => !(await provider.isActive(signedIn.refreshToken!, 'RefreshToken')));

    expect(provider.revocationCalls.slice(before).at(-1)).toMatchObject({ status: 200, dpop: true });
    expect(await current(session)).toBeNull();
  });
});

async function waitFor(check: () => Promise<boolean>, within = 5_000): Promise<void> {
  const until = Date.now() + within;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('waitFor: not within time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
