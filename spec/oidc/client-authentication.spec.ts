import { exportJWK, generateKeyPair } from 'jose';
import { lastValueFrom } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createHttpClient } from '../../lib/client/create-http-client.js';
import { TokenRefreshError } from '../../lib/errors/token-refresh-error.js';
import type { ClientAuthentication } from '../../lib/session/token-access.js';
import { clientSecretBasic, clientSecretPost } from '../../lib/oauth2/client-secret.js';
import { oauth2RefreshGrant } from '../../lib/oauth2/oauth2-refresh-grant.js';
import { oauth2Revocation } from '../../lib/oauth2/oauth2-revocation.js';
import { privateKeyJwt } from '../../lib/oauth2/private-key-jwt.js';
import { createTokenSession, type TokenSession } from '../../lib/session/create-token-session.js';
import { outcomes } from '../helpers/outcomes.js';
import { CLIENTS, provider, useOidcProvider, type ClientName } from './oidc-provider-fixtures.js';

// Each client authentication method (issue 24) proven against oidc-provider, which registers each
// client with one method and refuses any other.
describe('client authentication against oidc-provider', () => {
  useOidcProvider();

  const methods: readonly [string, Exclude<ClientName, 'public'>, () => ClientAuthentication][] = [
    ['client_secret_basic', 'basic', () => clientSecretBasic(CLIENTS.basic)],
    ['client_secret_post', 'post', () => clientSecretPost(CLIENTS.post)],
    ['private_key_jwt', 'jwt', () => privateKeyJwt({ clientId: CLIENTS.jwt.clientId, key: provider.jwtClientKey })],
    ['private_key_jwt, aud = issuer', 'jwt', () => privateKeyJwt({ clientId: CLIENTS.jwt.clientId, key: provider.jwtClientKey, audience: provider.issuer })],
  ];

  describe.each(methods)('with %s', (_method, client, authentication) => {
    it('refreshes a confidential client user session (rotated), then revokes the refresh token through RFC 7009', async () => {
      const signedIn = await provider.signIn({ client });
      const clientAuthentication = authentication();
      const { clientId } = CLIENTS[client];

      const refreshed = await lastValueFrom(oauth2RefreshGrant({ tokenUrl: provider.tokenUrl, clientAuthentication })(signedIn.refreshToken));
      expect(refreshed.refreshToken).toBeDefined();
      expect(refreshed.refreshToken).not.toBe(signedIn.refreshToken);
      expect(provider.calls({ grantType: 'refresh_token', clientId }).at(-1)).toMatchObject({ status: 200, auth: client });

      await lastValueFrom(oauth2Revocation({ revocationUrl: provider.revocationUrl, clientAuthentication })(refreshed.refreshToken!), { defaultValue: undefined });
      expect(provider.revocationCalls.at(-1)).toMatchObject({ clientId, status: 200, auth: client });
      expect(await provider.isActive(refreshed.refreshToken!, 'RefreshToken')).toBe(false);
    });
  });

  it('keeps clientId + clientSecret working: HTTP Basic with the RFC 6749 §2.3.1 encoding of a secret full of : % + / and spaces', async () => {
    const signedIn = await provider.signIn({ client: 'basic' });
    const refresh = oauth2RefreshGrant({ tokenUrl: provider.tokenUrl, clientId: CLIENTS.basic.clientId, clientSecret: CLIENTS.basic.clientSecret });

    await expect(lastValueFrom(refresh(signedIn.refreshToken))).resolves.toMatchObject({ accessToken: expect.any(String) });
    expect(provider.tokenCalls.at(-1)).toMatchObject({ status: 200, auth: 'basic', clientId: CLIENTS.basic.clientId });
  });

  describe.each([
    ['a wrong secret (basic)', () => clientSecretBasic({ clientId: CLIENTS.basic.clientId, clientSecret: 'wrong-secret-123' }), 'wrong-secret-123'],
    ['a wrong secret (post)', () => clientSecretPost({ clientId: CLIENTS.post.clientId, clientSecret: 'wrong-secret-456' }), 'wrong-secret-456'],
    ['another key (private_key_jwt)', async () => privateKeyJwt({ clientId: CLIENTS.jwt.clientId, key: { ...(await exportJWK((await generateKeyPair('ES256', { extractable: true })).privateKey)), kid: CLIENTS.jwt.kid } }), undefined],
  ])('with %s', (_case, authentication, secret) => {
    it('fails with TokenRefreshError invalid_client, not a revocation, and quotes no credential', async () => {
      const refresh = oauth2RefreshGrant({ tokenUrl: provider.tokenUrl, clientAuthentication: await authentication() });

      const error = await lastValueFrom(refresh('some-refresh-token-789')).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(TokenRefreshError);
      expect(error).toMatchObject({ reason: 'oauth-error', oauthError: 'invalid_client', transient: false });
      const text = JSON.stringify({ message: (error as Error).message, cause: (error as { cause?: { body?: unknown; message?: string } }).cause?.body });
      for (const credential of ['some-refresh-token-789', ...(secret ? [secret] : [])]) expect(text).not.toContain(credential);
      expect(provider.tokenCalls.at(-1)).toMatchObject({ status: 401, error: 'invalid_client' });
    });
  });

  describe('a confidential user session refreshing with private_key_jwt (issue 24 proof)', () => {
    const sessions: TokenSession[] = [];
    afterEach(() => sessions.splice(0).forEach((s) => s.dispose()));

    it('makes one refresh grant for a burst of 20 after expiry, each call with a fresh assertion, and all 20 succeed', async () => {
      const signedIn = await provider.signIn({ client: 'jwt', user: 'carol' });
      const clientAuthentication = privateKeyJwt({ clientId: CLIENTS.jwt.clientId, key: provider.jwtClientKey });
      const session = createTokenSession({ tokens: { accessToken: signedIn.accessToken, refreshToken: signedIn.refreshToken }, refresh: oauth2RefreshGrant({ tokenUrl: provider.tokenUrl, clientAuthentication }) });
      sessions.push(session);
      const api = createHttpClient({ baseUrl: provider.apiUrl, session, retry: false, timeout: 15_000 });
      const before = provider.tokenCalls.length;

      for (let expiry = 0; expiry < 2; expiry++) {
        await new Promise((resolve) => setTimeout(resolve, provider.settings.accessTokenTtl * 1000 + 150));
        const results = await outcomes(Array.from({ length: 20 }, (_, i) => api.get(`/ledger/${i}`)));
        expect(results.filter((r) => !r.ok)).toEqual([]);
      }

      const grants = provider.tokenCalls.slice(before);
      expect(grants.map((g) => [g.grantType, g.clientId])).toEqual(Array(2).fill(['refresh_token', CLIENTS.jwt.clientId]));
      expect(grants.map((g) => [g.status, g.auth])).toEqual([
        [200, 'jwt'],
        [200, 'jwt'],
      ]);
      expect(new Set(grants.map((g) => g.assertion)).size).toBe(2);
    });
  });

  it('builds the private_key_jwt grant of docs/getting-started.md from a JWK in the environment', async () => {
    vi.stubEnv('CLIENT_JWK', JSON.stringify(provider.jwtClientKey));

    const billing = oauth2RefreshGrant({
      tokenUrl: 'https://auth.example.com/oauth/token',
      clientAuthentication: privateKeyJwt({ clientId: 'billing', key: JSON.parse(process.env.CLIENT_JWK!) }),
    });

    expect(billing.endpoint).toBe('https://auth.example.com/oauth/token');
    vi.unstubAllEnvs();
  });
});
