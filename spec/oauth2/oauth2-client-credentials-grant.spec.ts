import { lastValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { TokenRefreshError } from '../../lib/errors/token-refresh-error.js';
import { TokenRevokedError } from '../../lib/errors/token-revoked-error.js';
import { clientSecretBasic, clientSecretPost } from '../../lib/oauth2/client-secret.js';
import { oauth2ClientCredentialsGrant } from '../../lib/oauth2/oauth2-client-credentials-grant.js';
import { privateKeyJwt } from '../../lib/oauth2/private-key-jwt.js';
import { API_RESOURCE, CLIENTS, provider, useOidcProvider } from '../oidc/oidc-provider-fixtures.js';

// The client credentials grant (RFC 6749 §4.4) against oidc-provider (issue 24). The machine
// session running on it is proven in spec/oidc/machine-session.spec.ts.
describe('oauth2ClientCredentialsGrant', () => {
  useOidcProvider();

  describe('the grant', () => {
    it('posts grant_type, scope, every resource and audience, which extraParams cannot replace, and returns the token without a refresh token', async () => {
      const bodies: string[] = [];
      const recording: typeof fetch = (input, init) => (bodies.push(String(init?.body)), fetch(input, init));
      const grant = oauth2ClientCredentialsGrant({
        tokenUrl: provider.tokenUrl,
        clientAuthentication: clientSecretBasic(CLIENTS.basic),
        scope: 'api:read',
        resource: API_RESOURCE,
        extraParams: { grant_type: 'password', scope: 'api:write', resource: 'https://elsewhere.test/', custom: 'kept' },
        fetch: recording,
      });

      const tokens = await lastValueFrom(grant('ignored'));

      expect(Object.fromEntries(new URLSearchParams(bodies[0]))).toEqual({ grant_type: 'client_credentials', scope: 'api:read', resource: API_RESOURCE, custom: 'kept' });
      expect(tokens).toEqual({ accessToken: expect.any(String), expiresAt: expect.any(Number) });
      expect(provider.tokenCalls.at(-1)).toMatchObject({ grantType: 'client_credentials', clientId: CLIENTS.basic.clientId, status: 200, auth: 'basic' });
      expect(grant.endpoint).toBe(provider.tokenUrl);
    });

    it('sends several resources as several fields, and audience as its own', async () => {
      const bodies: string[] = [];
      const grant = oauth2ClientCredentialsGrant({
        tokenUrl: 'https://auth.example.test/token',
        clientId: 'c',
        resource: ['https://a.test/', 'https://b.test/'],
        audience: 'urn:partner',
        fetch: async (_input, init) => (bodies.push(String(init?.body)), new Response('{"access_token":"at","expires_in":60}', { status: 200 })),
      });
      await lastValueFrom(grant(''));

      const form = new URLSearchParams(bodies[0]);
      expect(form.getAll('resource')).toEqual(['https://a.test/', 'https://b.test/']);
      expect(form.get('audience')).toBe('urn:partner');
      expect(form.get('client_id')).toBe('c');
    });

    it.each([
      ['client_secret_post', () => clientSecretPost(CLIENTS.post), 'post'],
      ['private_key_jwt', () => privateKeyJwt({ clientId: CLIENTS.jwt.clientId, key: provider.jwtClientKey }), 'jwt'],
    ] as const)('authenticates with %s', async (_method, authentication, auth) => {
      const grant = oauth2ClientCredentialsGrant({ tokenUrl: provider.tokenUrl, clientAuthentication: authentication(), resource: API_RESOURCE, scope: 'api:read api:write' });

      await expect(lastValueFrom(grant(''))).resolves.toMatchObject({ accessToken: expect.any(String) });
      expect(provider.tokenCalls.at(-1)).toMatchObject({ grantType: 'client_credentials', status: 200, auth });
    });

    it('answers invalid_scope with a non-transient TokenRefreshError, not the end of the session', async () => {
      // oidc-provider narrows an unknown scope instead of refusing it: a stub server says invalid_scope.
      const refusing: typeof fetch = async () => new Response('{"error":"invalid_scope"}', { status: 400, headers: { 'content-type': 'application/json' } });
      const grant = oauth2ClientCredentialsGrant({ tokenUrl: provider.tokenUrl, clientAuthentication: clientSecretBasic(CLIENTS.basic), scope: 'api:admin', fetch: refusing });

      const error = await lastValueFrom(grant('')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TokenRefreshError);
      expect(error).toMatchObject({ reason: 'oauth-error', oauthError: 'invalid_scope', transient: false });
    });

    it('answers a refused client (invalid_client) with TokenRevokedError naming the client problem, quoting no secret', async () => {
      const grant = oauth2ClientCredentialsGrant({ tokenUrl: provider.tokenUrl, clientAuthentication: clientSecretBasic({ clientId: CLIENTS.basic.clientId, clientSecret: 'not-the-secret' }) });

      const error = await lastValueFrom(grant('')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TokenRevokedError);
      expect((error as Error).message).toMatch(/refused the client \(invalid_client\).*the machine session ends/);
      expect(JSON.stringify((error as { cause?: { cause?: { body?: unknown } } }).cause?.cause?.body)).not.toContain('not-the-secret');
    });

    it.each([
      ['an empty scope', { scope: '' }, 'scope'],
      ['an empty resource', { resource: ['https://a.test/', ''] }, 'resource'],
      ['an audience that is no string', { audience: 42 }, 'audience'],
    ])('throws a TypeError at once for %s', (_case, bad, field) => {
      expect(() => oauth2ClientCredentialsGrant({ tokenUrl: provider.tokenUrl, clientId: 'c', ...(bad as object) })).toThrow(`oauth2ClientCredentialsGrant: ${field} must be a non-empty string`);
      expect(() => oauth2ClientCredentialsGrant(null as never)).toThrow(TypeError);
    });
  });
});
