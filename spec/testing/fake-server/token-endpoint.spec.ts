// lib/testing/fake-server/token-endpoint.ts: what the fake's token endpoint accepts as a request.
import { describe, expect, it } from 'vitest';
import { createFakeAuthorizationServer } from '../../../lib/testing/fake-authorization-server.js';
import { firstValueFrom } from 'rxjs';
import { createHttpClient } from '../../../lib/client/create-http-client.js';
import { clientSecretBasic } from '../../../lib/oauth2/client-secret.js';
import { oauth2ClientCredentialsGrant } from '../../../lib/oauth2/oauth2-client-credentials-grant.js';
import { createTokenSession } from '../../../lib/session/create-token-session.js';
import { ORIGIN, realTimersAfterEach, refresh } from '../fake-authorization-server-fixtures.js';
import { post, type TokenBody } from './fake-server-fixtures.js';

describe('createFakeAuthorizationServer', () => {
  realTimersAfterEach();

  describe('when the token request is malformed', () => {
    it.each([
      ['an unsupported grant_type', { grant_type: 'password' }, 'unsupported_grant_type'],
      ['no grant_type', { grant_type: '' }, 'invalid_request'],
      ['no refresh_token', { refresh_token: '' }, 'invalid_request'],
      ['an unknown refresh_token', { refresh_token: 'never-issued' }, 'invalid_grant'],
    ])('answers 400 for %s', async (_, form, error) => {
      const server = createFakeAuthorizationServer();
      const { refreshToken } = server.signIn();

      const { response, body } = await refresh(server, refreshToken, { form });

      expect(response.status).toBe(400);
      expect(body).toEqual({ error, error_description: expect.any(String) });
      expect(response.headers.get('cache-control')).toBe('no-store');
    });

    it('answers invalid_request for a JSON body', async () => {
      const server = createFakeAuthorizationServer();
      const { refreshToken } = server.signIn();
      const request = new Request(`${ORIGIN}/oauth/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ grant_type: 'refresh_token', refresh_token: refreshToken }),
      });

      const response = await server.handle(request);

      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'invalid_request' });
    });

    it('answers 405 to a GET on the token endpoint', async () => {
      const server = createFakeAuthorizationServer();

      const response = await server.handle(new Request(`${ORIGIN}/oauth/token`));

      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('POST');
    });
  });

  // Issue 24: the fake issues a client's own tokens, so that users can test a machine session.
  describe('when a client asks for its own token (client_credentials)', () => {
    const credentials = { clientId: 'billing', clientSecret: 'billing-secret' };
    const basic = `Basic ${btoa('billing:billing-secret')}`;

    it('answers a Bearer token without a refresh token, scope echoed, that the API takes as the client', async () => {
      const server = createFakeAuthorizationServer({ ...credentials, accessTokenTtl: 2_000 });

      const response = await server.handle(post('/oauth/token', { grant_type: 'client_credentials', scope: 'invoices:write' }, { headers: { authorization: basic } }));
      const body = (await response.json()) as TokenBody & { scope?: string; token_type?: string };

      expect(response.status).toBe(200);
      expect(body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 2, scope: 'invoices:write' });
      const api = await server.handle(new Request(`${ORIGIN}/api/me`, { headers: { Authorization: `Bearer ${body.access_token}` } }));
      expect(await api.json()).toMatchObject({ ok: true, sub: 'billing' });
      expect(server.stats).toMatchObject({ tokenRequests: 1, refreshGrants: 0 });
    });

    it('refuses a wrong secret with invalid_client', async () => {
      const server = createFakeAuthorizationServer(credentials);

      const response = await server.handle(post('/oauth/token', { grant_type: 'client_credentials', client_id: 'billing', client_secret: 'wrong' }));

      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: 'invalid_client' });
    });

    // The example of docs/testing.md ("A machine session"), verbatim.
    it('serves a machine session: one grant for 20 concurrent first requests, a new one after revokeAll', async () => {
      const authServer = createFakeAuthorizationServer({ clientId: 'billing', clientSecret: 'test-secret' });
      const viaFake: typeof fetch = (input, init) => authServer.handle(new Request(input, init));
      const machine = createTokenSession({
        tokens: 'fetch',
        refresh: oauth2ClientCredentialsGrant({
          tokenUrl: 'https://auth.example.test/oauth/token',
          clientAuthentication: clientSecretBasic({ clientId: 'billing', clientSecret: 'test-secret' }),
          fetch: viaFake,
        }),
      });
      const partnerApi = createHttpClient({ baseUrl: 'https://auth.example.test/api', session: machine, fetch: viaFake });

      const first = await Promise.all(Array.from({ length: 20 }, () => firstValueFrom(partnerApi.get<{ sub: string }>('/me'))));
      authServer.revokeAll();
      const after = await firstValueFrom(partnerApi.get<{ sub: string }>('/me'));
      machine.dispose();

      expect(first.map((body) => body.sub)).toEqual(Array(20).fill('billing'));
      expect(after.sub).toBe('billing');
      expect(authServer.stats).toMatchObject({ tokenRequests: 2, apiUnauthorized: 1 });
    });
  });
});
