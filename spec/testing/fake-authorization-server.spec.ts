import { describe, expect, it } from 'vitest';
import { createFakeAuthorizationServer } from '../../lib/testing/fake-authorization-server.js';
import { apiRequest, apiStatus, decodeSegment, ORIGIN, realTimersAfterEach } from './fake-authorization-server-fixtures.js';

describe('createFakeAuthorizationServer', () => {
  realTimersAfterEach();

  describe('when a client signs in', () => {
    it('issues a JWT-shaped access token with sub, fam, jti, exp and iat claims', () => {
      const now = 1_700_000_000_500;
      const server = createFakeAuthorizationServer({ now: () => now, accessTokenTtl: 30_000 });

      const tokens = server.signIn();
      const [header, payload, signature] = tokens.accessToken.split('.');

      expect(decodeSegment(header)).toMatchObject({ typ: 'at+jwt' });
      expect(decodeSegment(payload)).toEqual({
        sub: 'user-1',
        fam: 'family-1',
        jti: expect.any(String),
        exp: Math.floor((now + 30_000) / 1000),
        iat: Math.floor(now / 1000),
      });
      expect(signature).toMatch(/^[\w-]{20,}$/);
      expect(tokens.expiresAt).toBe(now + 30_000);
      expect(tokens.refreshToken).toMatch(/^[\w-]{20,}$/);
      expect(server.issuedRefreshTokens).toEqual([tokens.refreshToken]);
    });

    it('issues different tokens and subjects on every sign-in', async () => {
      const server = createFakeAuthorizationServer();

      const first = server.signIn();
      const second = server.signIn('alice');

      expect(second.accessToken).not.toBe(first.accessToken);
      expect(second.refreshToken).not.toBe(first.refreshToken);
      const response = await server.handle(apiRequest('/api/me', second.accessToken));
      expect(await response.json()).toMatchObject({ sub: 'alice' });
    });
  });

  describe('when the access token has expired by the clock', () => {
    it('answers 401 with a Bearer invalid_token challenge', async () => {
      let now = 1_000_000;
      const server = createFakeAuthorizationServer({ now: () => now, accessTokenTtl: 10_000 });
      const { accessToken, expiresAt } = server.signIn();

      now = expiresAt - 1;
      expect(await apiStatus(server, accessToken)).toBe(200);
      now = expiresAt;
      const response = await server.handle(apiRequest('/api/me', accessToken));

      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
      expect(await response.json()).toEqual({ error: 'invalid_token' });
    });
  });

  describe('when the API is called without a usable token', () => {
    it.each([
      ['no Authorization header', {}],
      ['an unknown token', { Authorization: 'Bearer nope' }],
      ['another scheme', { Authorization: 'Basic dXNlcjpwYXNz' }],
    ])('answers 401 for %s', async (_, headers) => {
      const server = createFakeAuthorizationServer();
      server.signIn();

      const response = await server.handle(new Request(`${ORIGIN}/api/me`, { headers }));

      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
      expect(server.stats).toMatchObject({ apiRequests: 1, apiUnauthorized: 1 });
    });
  });
});
