// lib/testing/fake-server/revocation-endpoint.ts: the fake's RFC 7009 revocation endpoint.
import { describe, expect, it } from 'vitest';
import { createFakeAuthorizationServer, FakeNetworkFault } from '../../../lib/testing/fake-authorization-server.js';
import { apiStatus, ORIGIN, post, refresh, revoke, signedIn } from './fake-server-fixtures.js';

describe('createFakeAuthorizationServer attack scripts', () => {
  describe('when a token is revoked at the revocation endpoint (RFC 7009)', () => {
    it('revokes the family of a refresh token: refresh gets invalid_grant, the API 401', async () => {
      const { server, refreshToken, accessToken } = signedIn();
      const bystander = server.signIn();

      const response = await revoke(server, { token: refreshToken, token_type_hint: 'refresh_token' });

      expect(response.status).toBe(200);
      expect(await response.text()).toBe('');
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect((await refresh(server, refreshToken)).body.error).toBe('invalid_grant');
      expect(await apiStatus(server, accessToken)).toBe(401);
      expect(await apiStatus(server, bystander.accessToken)).toBe(200);
      expect(server.stats).toMatchObject({ revocationRequests: 1, revokedFamilies: 1, tokenRequests: 1 });
    });

    it('revokes the family of an access token too, whatever the hint says', async () => {
      const { server, refreshToken, accessToken } = signedIn();

      await revoke(server, { token: accessToken, token_type_hint: 'refresh_token' });

      expect((await refresh(server, refreshToken)).body.error).toBe('invalid_grant');
    });

    it('answers 200 for an unknown token and revokes nothing', async () => {
      const { server, accessToken } = signedIn();

      const response = await revoke(server, { token: 'never-issued' });

      expect(response.status).toBe(200);
      expect(await apiStatus(server, accessToken)).toBe(200);
      expect(server.stats).toMatchObject({ revocationRequests: 1, revokedFamilies: 0 });
    });

    it('answers 400 without a token, 405 to a GET, 401 without the client credentials', async () => {
      const { server, refreshToken } = signedIn({ clientId: 'app', clientSecret: 's3cret' });

      const missing = await revoke(server, { client_id: 'app', client_secret: 's3cret' });
      const get = await server.handle(new Request(`${ORIGIN}/oauth/revoke`));
      const unauthenticated = await revoke(server, { token: refreshToken });
      const authenticated = await revoke(server, { token: refreshToken }, { Authorization: `Basic ${btoa('app:s3cret')}` });

      expect(missing.status).toBe(400);
      expect(await missing.json()).toMatchObject({ error: 'invalid_request' });
      expect(get.status).toBe(405);
      expect(unauthenticated.status).toBe(401);
      expect(authenticated.status).toBe(200);
      expect(server.stats).toMatchObject({ revocationRequests: 3, revokedFamilies: 1 });
    });

    it('serves a configured path, or none with revocationPath: false', async () => {
      const custom = signedIn({ revocationPath: '/connect/revocation' });
      const none = signedIn({ revocationPath: false });

      const revoked = await custom.server.handle(post('/connect/revocation', { token: custom.refreshToken }));
      const absent = await revoke(none.server, { token: none.refreshToken });

      expect(revoked.status).toBe(200);
      expect(custom.server.stats.revokedFamilies).toBe(1);
      expect(absent.status).toBe(404);
      expect(() => createFakeAuthorizationServer({ revocationPath: 'revoke' })).toThrow(TypeError);
    });
  });

  describe('when revocation requests are scripted to fail', () => {
    it('fails them in order and revokes nothing meanwhile', async () => {
      const { server, refreshToken } = signedIn();
      server.failRevocationRequests(1, 'network');
      server.failRevocationRequests(1, 'server-error');
      server.failRevocationRequests(1, 'echo-form');

      await expect(revoke(server, { token: refreshToken })).rejects.toBeInstanceOf(FakeNetworkFault);
      const serverError = await revoke(server, { token: refreshToken });
      const echoed = await revoke(server, { token: refreshToken });
      const revoked = await revoke(server, { token: refreshToken });

      expect(serverError.status).toBe(503);
      expect(await echoed.text()).toContain(refreshToken);
      expect(revoked.status).toBe(200);
      expect(server.stats).toMatchObject({ revocationRequests: 4, revokedFamilies: 1 });
    });

    it('hangs until the request aborts', async () => {
      const { server, refreshToken } = signedIn();
      server.failRevocationRequests(1, 'hang');
      const controller = new AbortController();

      const pending = server.handle(post('/oauth/revoke', { token: refreshToken }, { signal: controller.signal }));
      controller.abort();

      await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
      expect(server.stats.revokedFamilies).toBe(0);
    });
  });
});
