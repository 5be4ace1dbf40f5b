// lib/testing/fake-server/builtin-api-routes.ts: the routes every authorized API request reaches.
import { describe, expect, it } from 'vitest';
import { createFakeAuthorizationServer } from '../../../lib/testing/fake-authorization-server.js';
import { apiRequest, apiStatus, realTimersAfterEach } from '../fake-authorization-server-fixtures.js';

describe('createFakeAuthorizationServer', () => {
  realTimersAfterEach();

  describe('when the API is called with a valid token', () => {
    it('echoes method, path, subject and the JSON body', async () => {
      const server = createFakeAuthorizationServer();
      const { accessToken } = server.signIn();

      const response = await server.handle(
        apiRequest('/api/items/7?x=1', accessToken, { method: 'PUT', body: JSON.stringify({ name: 'seven' }) }),
      );

      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        ok: true,
        method: 'PUT',
        path: '/api/items/7',
        sub: 'user-1',
        body: { name: 'seven' },
      });
    });

    it('omits body when the request has none', async () => {
      const server = createFakeAuthorizationServer();
      const { accessToken } = server.signIn();

      const response = await server.handle(apiRequest('/api/me', accessToken));

      expect(await response.json()).toEqual({ ok: true, method: 'GET', path: '/api/me', sub: 'user-1' });
    });

    it('answers 403 on the forbidden route', async () => {
      const server = createFakeAuthorizationServer();
      const { accessToken } = server.signIn();

      const response = await server.handle(apiRequest('/api/forbidden', accessToken));

      expect(response.status).toBe(403);
      expect(await response.json()).toEqual({ error: 'insufficient_scope' });
      expect(await apiStatus(server, undefined, '/api/forbidden')).toBe(401);
    });

    it.each([429, 500, 503, 418, 401])('answers %i on status/%i with a JSON body', async (status) => {
      const server = createFakeAuthorizationServer();
      const { accessToken } = server.signIn();

      const response = await server.handle(apiRequest(`/api/status/${status}`, accessToken));

      expect(response.status).toBe(status);
      expect(await response.json()).toEqual({ status });
      expect(server.stats.apiUnauthorized).toBe(0);
    });

    it('answers status/204 without a body and rejects impossible codes', async () => {
      const server = createFakeAuthorizationServer();
      const { accessToken } = server.signIn();

      const empty = await server.handle(apiRequest('/api/status/204', accessToken));
      const impossible = await server.handle(apiRequest('/api/status/99', accessToken));

      expect(empty.status).toBe(204);
      expect(await empty.text()).toBe('');
      expect(impossible.status).toBe(400);
      expect(await apiStatus(server, undefined, '/api/status/500')).toBe(401);
    });

    it('answers the dpop route with a DPoP nonce challenge', async () => {
      const server = createFakeAuthorizationServer();
      const { accessToken } = server.signIn();

      const response = await server.handle(apiRequest('/api/dpop', accessToken));

      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('DPoP error="use_dpop_nonce"');
      expect(response.headers.get('dpop-nonce')).toBeTruthy();
      expect(server.stats.apiUnauthorized).toBe(0);
    });
  });
});
