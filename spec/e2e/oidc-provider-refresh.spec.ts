import { filter, firstValueFrom, lastValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../lib/client/create-http-client.js';
import { TokenRevokedError } from '../../lib/errors/token-revoked-error.js';
import { oauth2RefreshGrant } from '../../lib/oauth2/oauth2-refresh-grant.js';
import { oauth2Revocation } from '../../lib/oauth2/oauth2-revocation.js';
import { createTokenSession, type TokenSession } from '../../lib/session/create-token-session.js';
import type { TokenSet } from '../../lib/session/token-set.js';
import { outcome, outcomes } from '../helpers/outcomes.js';
import { CLIENTS, provider, useOidcProvider, type UserTokens } from '../oidc/oidc-provider-fixtures.js';

// The library as it is, against a real authorization server (oidc-provider 9: rotating refresh
// tokens, reuse detection, RFC 7009) and a resource server that asks it whether a token is alive.
describe('a user session against oidc-provider on 127.0.0.1', () => {
  useOidcProvider({ accessTokenTtl: 2 });

  const sessions: TokenSession[] = [];
  afterEach(() => {
    for (const session of sessions.splice(0)) session.dispose();
  });

  const { clientId } = CLIENTS.public;
  const expired = () => new Promise((resolve) => setTimeout(resolve, provider.settings.accessTokenTtl * 1000 + 150));
  const refreshGrants = () => provider.calls({ grantType: 'refresh_token', clientId });

  function start(tokens: TokenSet) {
    const session = createTokenSession({
      tokens,
      refresh: oauth2RefreshGrant({ tokenUrl: provider.tokenUrl, clientId }),
      revoke: oauth2Revocation({ revocationUrl: provider.revocationUrl, clientId }),
    });
    sessions.push(session);
    const api = createHttpClient({ baseUrl: provider.apiUrl, session, retry: false, timeout: 15_000 });
    return { session, api };
  }
  const withExpiry = (t: UserTokens, receivedAt: number): TokenSet => ({ accessToken: t.accessToken, refreshToken: t.refreshToken, expiresAt: receivedAt + t.expiresIn * 1000 });
  const unaware = (t: UserTokens): TokenSet => ({ accessToken: t.accessToken, refreshToken: t.refreshToken });

  describe.each([
    ['the session knows the expiry (it refreshes before sending)', true],
    ['the session does not know it (every request meets a 401)', false],
  ])('when 20 concurrent requests carry an expired access token: %s', (_how, knowsExpiry) => {
    it('makes exactly one refresh_token grant, all 20 succeed, and the rotated refresh token is the one kept', async () => {
      const signedIn = await provider.signIn();
      const { session, api } = start(knowsExpiry ? withExpiry(signedIn, Date.now()) : unaware(signedIn));
      await expired();
      const before = refreshGrants().length;
      const rejectedBefore = provider.api.rejected;

      const results = await outcomes(Array.from({ length: 20 }, (_, i) => api.get<{ path: string; sub: string }>(`/orders/${i}`)));

      expect(results.filter((r) => !r.ok).map((r) => !r.ok && r.name)).toEqual([]);
      expect(results.map((r) => r.ok && r.value)).toEqual(Array.from({ length: 20 }, (_, i) => ({ path: `/orders/${i}`, sub: 'alice' })));
      expect(refreshGrants().slice(before)).toMatchObject([{ status: 200, auth: 'none' }]);
      expect(provider.api.rejected - rejectedBefore).toBe(knowsExpiry ? 0 : 20);
      const kept = session.state.tokens!.refreshToken!;
      expect(kept).not.toBe(signedIn.refreshToken);
      expect(await provider.isActive(kept, 'RefreshToken')).toBe(true);
      expect(await provider.isActive(signedIn.refreshToken, 'RefreshToken')).toBe(false);
    });
  });

  describe('when another session still holds the set that rotation retired, and refreshes with it', () => {
    it('ends that session with TokenRevokedError; the server revokes the whole grant (reuse detection), other sign-ins keep working', async () => {
      const [first, other] = [await provider.signIn(), await provider.signIn({ user: 'bob' })];
      const current = start(unaware(first));
      const stale = start(unaware(first));
      const elsewhere = start(unaware(other));
      await expired();

      expect((await outcome(current.api.get('/a'))).ok).toBe(true);
      const revoked = firstValueFrom(stale.session.events$.pipe(filter((e) => e.type === 'session-revoked')));
      const reused = await outcome(stale.api.get('/b'));

      expect(reused).toMatchObject({ ok: false, name: 'TokenRevokedError' });
      await revoked;
      expect(stale.session.state.tokens).toBeNull();
      expect(provider.calls({ grantType: 'refresh_token', clientId, error: 'invalid_grant' })).toHaveLength(1);
      // oidc-provider answers a retired refresh token by revoking its grant (RFC 9700 §4.14.2):
      // the session that rotated loses it too, at its next request; a separate sign-in does not.
      expect(await outcome(current.api.get('/c'))).toMatchObject({ ok: false, name: 'TokenRevokedError' });
      expect(await outcome(elsewhere.api.get('/d'))).toMatchObject({ ok: true, value: { sub: 'bob' } });
      const calls = provider.tokenCalls.length;
      expect(await outcome(stale.api.get('/e'))).toMatchObject({ ok: false, name: 'TokenRevokedError' });
      expect(provider.tokenCalls).toHaveLength(calls);
    });
  });

  describe('when the user signs out with revoke: true', () => {
    it('revokes the refresh token through RFC 7009: the provider no longer accepts it', async () => {
      const signedIn = await provider.signIn();
      const { session, api } = start(unaware(signedIn));
      expect((await outcome(api.get('/before'))).ok).toBe(true);
      const revocations = provider.revocationCalls.length;

      session.signOut({ revoke: true });
      await expect.poll(() => provider.revocationCalls.length).toBe(revocations + 1);

      expect(provider.revocationCalls.at(-1)).toMatchObject({ clientId, status: 200, auth: 'none' });
      expect(await provider.isActive(signedIn.refreshToken, 'RefreshToken')).toBe(false);
      const refresh = oauth2RefreshGrant({ tokenUrl: provider.tokenUrl, clientId });
      await expect(lastValueFrom(refresh(signedIn.refreshToken))).rejects.toBeInstanceOf(TokenRevokedError);
      expect(provider.calls({ grantType: 'refresh_token', clientId }).at(-1)).toMatchObject({ status: 400, error: 'invalid_grant' });
    });
  });
});
