// lib/testing/fake-server/cors.ts: the fake's CORS answers, for a page in a browser.
import { describe, expect, it } from 'vitest';
import { createFakeAuthorizationServer } from '../../../lib/testing/fake-authorization-server.js';
import { ORIGIN, signedIn } from './fake-server-fixtures.js';

describe('createFakeAuthorizationServer attack scripts', () => {
  describe('when cors is on', () => {
    it('answers a preflight itself, without counting it', async () => {
      const server = createFakeAuthorizationServer({ cors: true });
      const preflight = new Request(`${ORIGIN}/api/me`, {
        method: 'OPTIONS',
        headers: { Origin: 'http://127.0.0.1:5000', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' },
      });

      const response = await server.handle(preflight);

      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:5000');
      expect(response.headers.get('access-control-allow-headers')).toBe('authorization');
      expect(response.headers.get('access-control-allow-methods')).toContain('POST');
      expect(server.stats.apiRequests).toBe(0);
    });

    it('lets the page read answers and their challenge headers', async () => {
      const { server, accessToken } = signedIn({ cors: true });
      const headers = { Origin: 'http://127.0.0.1:5000' };

      const ok = await server.handle(new Request(`${ORIGIN}/api/me`, { headers: { ...headers, Authorization: `Bearer ${accessToken}` } }));
      const denied = await server.handle(new Request(`${ORIGIN}/api/me`, { headers }));
      const sameOrigin = await server.handle(new Request(`${ORIGIN}/api/me`));

      expect(ok.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:5000');
      expect(await ok.json()).toMatchObject({ ok: true });
      expect(denied.status).toBe(401);
      expect(denied.headers.get('access-control-expose-headers')).toContain('WWW-Authenticate');
      expect(sameOrigin.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('is off by default', async () => {
      const { server } = signedIn();

      const response = await server.handle(new Request(`${ORIGIN}/api/me`, { headers: { Origin: 'http://127.0.0.1:5000' } }));

      expect(response.headers.get('access-control-allow-origin')).toBeNull();
    });
  });
});
