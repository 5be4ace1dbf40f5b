// lib/testing/fake-server/fake-server-config.ts: paths and durations, with their checks.
import { describe, expect, it } from 'vitest';
import { createFakeAuthorizationServer } from '../../../lib/testing/fake-authorization-server.js';
import { apiRequest, apiStatus, ORIGIN, realTimersAfterEach } from '../fake-authorization-server-fixtures.js';

describe('createFakeAuthorizationServer', () => {
  realTimersAfterEach();

  describe('when paths are configured', () => {
    it('serves the custom token path and API prefix and 404s everything else', async () => {
      const server = createFakeAuthorizationServer({ tokenPath: '/connect/token', apiPrefix: '/v2/' });
      const { accessToken, refreshToken } = server.signIn();

      const token = await server.handle(
        new Request(`${ORIGIN}/connect/token`, {
          method: 'POST',
          body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
        }),
      );
      const missing = await server.handle(apiRequest('/api/me', accessToken));

      expect(token.status).toBe(200);
      expect(await apiStatus(server, accessToken, '/v2/me')).toBe(200);
      expect(missing.status).toBe(404);
      expect(await missing.json()).toMatchObject({ error: 'not_found' });
    });

    it('rejects a prefix without slashes and negative durations', () => {
      expect(() => createFakeAuthorizationServer({ apiPrefix: '/api' })).toThrow(TypeError);
      expect(() => createFakeAuthorizationServer({ tokenDelay: -1 })).toThrow(RangeError);
    });

    it('rejects a dpop option that is neither a boolean nor an object, and a negative proof window', () => {
      expect(() => createFakeAuthorizationServer({ dpop: 'required' as unknown as boolean })).toThrow(TypeError);
      expect(() => createFakeAuthorizationServer({ dpop: { proofWindow: -1 } })).toThrow(RangeError);
      expect(() => createFakeAuthorizationServer({ dpop: { required: false, nonces: true, proofWindow: 5_000 } })).not.toThrow();
    });
  });
});
