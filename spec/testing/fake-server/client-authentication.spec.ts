// lib/testing/fake-server/client-authentication.ts: client credentials (RFC 6749 §2.3.1, §5.2).
import { describe, expect, it } from 'vitest';
import { createFakeAuthorizationServer } from '../../../lib/testing/fake-authorization-server.js';
import { basic, realTimersAfterEach, refresh, type TokenRequestInit } from '../fake-authorization-server-fixtures.js';

describe('createFakeAuthorizationServer', () => {
  realTimersAfterEach();

  describe('when client credentials are required', () => {
    const config = { clientId: 'app one', clientSecret: 's3cr:et' };

    it('accepts them as form fields', async () => {
      const server = createFakeAuthorizationServer(config);
      const { refreshToken } = server.signIn();

      const { response } = await refresh(server, refreshToken, {
        form: { client_id: 'app one', client_secret: 's3cr:et' },
      });

      expect(response.status).toBe(200);
    });

    it('accepts them as HTTP Basic, form-urlencoded per RFC 6749 §2.3.1', async () => {
      const server = createFakeAuthorizationServer(config);
      const { refreshToken } = server.signIn();

      const { response } = await refresh(server, refreshToken, { headers: { Authorization: basic('app one', 's3cr:et') } });

      expect(response.status).toBe(200);
    });

    it.each([
      ['missing', {}],
      ['a wrong secret in the form', { form: { client_id: 'app one', client_secret: 'nope' } }],
      ['a wrong client_id', { form: { client_id: 'other', client_secret: 's3cr:et' } }],
    ])('answers 401 invalid_client when they are %s', async (_, init: TokenRequestInit) => {
      const server = createFakeAuthorizationServer(config);
      const { refreshToken } = server.signIn();

      const { response, body } = await refresh(server, refreshToken, init);

      expect(response.status).toBe(401);
      expect(body.error).toBe('invalid_client');
      expect(response.headers.get('www-authenticate')).toBeNull();
      expect(server.stats.refreshGrants).toBe(0);
    });

    it('challenges with Basic when wrong credentials came in the Authorization header', async () => {
      const server = createFakeAuthorizationServer(config);
      const { refreshToken } = server.signIn();

      const { response, body } = await refresh(server, refreshToken, { headers: { Authorization: basic('app one', 'x') } });

      expect(response.status).toBe(401);
      expect(body.error).toBe('invalid_client');
      expect(response.headers.get('www-authenticate')).toMatch(/^Basic /);
    });

    it('leaves the refresh token usable after a rejected attempt', async () => {
      const server = createFakeAuthorizationServer(config);
      const { refreshToken } = server.signIn();
      await refresh(server, refreshToken);

      const { response } = await refresh(server, refreshToken, { form: { client_id: 'app one', client_secret: 's3cr:et' } });

      expect(response.status).toBe(200);
    });
  });
});
