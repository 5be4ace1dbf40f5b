// lib/testing/fake-server/protected-api.ts: the fake's API side, `authorize` for your own API and the `api` handler.
import { describe, expect, it, vi } from 'vitest';
import { createFakeAuthorizationServer, type FakeApiHandler, type FakeAuthorizationServer } from '../../../lib/testing/fake-authorization-server.js';
import { realTimersAfterEach } from '../fake-authorization-server-fixtures.js';

const ORIGIN = 'https://api.example.test';

function apiRequest(path: string, accessToken?: string, init: RequestInit = {}): Request {
  const headers = new Headers(init.headers);
  if (accessToken) headers.set('Authorization', `Bearer ${accessToken}`);
  return new Request(`${ORIGIN}${path}`, { ...init, headers });
}

function refresh(server: FakeAuthorizationServer, refreshToken: string): Promise<Response> {
  return server.handle(
    new Request(`${ORIGIN}/oauth/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
    }),
  );
}

describe('createFakeAuthorizationServer with your own API', () => {
  realTimersAfterEach();

  describe('when authorize is given a request with a valid token', () => {
    it('returns the user the token belongs to and counts one API request', () => {
      const server = createFakeAuthorizationServer({ now: () => 5_000, accessTokenTtl: 1_000 });
      const { accessToken } = server.signIn('ada');

      const user = server.authorize(apiRequest('/anywhere/at/all', accessToken));

      expect(user).toEqual({ subject: 'ada', familyId: 'family-1', expiresAt: 6_000 });
      expect(server.stats).toMatchObject({ apiRequests: 1, apiUnauthorized: 0 });
    });
  });

  describe('when authorize is given a request without a usable token', () => {
    it.each([
      ['no token', (): string | undefined => undefined],
      ['an unknown token', () => 'never-issued'],
    ])('answers 401 invalid_token for %s', async (_, token) => {
      const server = createFakeAuthorizationServer();
      server.signIn();

      const answer = server.authorize(apiRequest('/api/me', token()));

      expect(answer).toBeInstanceOf(Response);
      const response = answer as Response;
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
      expect(await response.json()).toEqual({ error: 'invalid_token' });
      expect(server.stats).toMatchObject({ apiRequests: 1, apiUnauthorized: 1 });
    });

    it('answers 401 once the token expires by the clock or server side', () => {
      let now = 0;
      const server = createFakeAuthorizationServer({ now: () => now, accessTokenTtl: 1_000 });
      const first = server.signIn();
      const second = server.signIn();

      now = 1_000;
      const expiredByClock = server.authorize(apiRequest('/api/me', first.accessToken));
      now = 0;
      server.expireAccessTokens();
      const expiredByServer = server.authorize(apiRequest('/api/me', second.accessToken));

      expect(expiredByClock).toMatchObject({ status: 401 });
      expect(expiredByServer).toMatchObject({ status: 401 });
    });

    it('answers 401 for every token of a family revoked by reuse detection', async () => {
      const server = createFakeAuthorizationServer();
      const signedIn = server.signIn();
      const rotated = (await (await refresh(server, signedIn.refreshToken)).json()) as { access_token: string };
      expect(server.authorize(apiRequest('/api/me', rotated.access_token))).not.toBeInstanceOf(Response);

      await refresh(server, signedIn.refreshToken);

      expect(server.authorize(apiRequest('/api/me', rotated.access_token))).toMatchObject({ status: 401 });
      expect(server.stats.revokedFamilies).toBe(1);
    });
  });

  describe('when an api handler is configured', () => {
    const api: FakeApiHandler = async (request, user) => {
      const { pathname } = new URL(request.url);
      if (pathname === '/api/profile') return { name: user.subject, family: user.familyId };
      if (pathname === '/api/created') return Response.json(await request.json(), { status: 201 });
      if (pathname === '/api/nothing') return null;
      return undefined;
    };

    it('answers with its data as 200 JSON, or with the Response it returns', async () => {
      const server = createFakeAuthorizationServer({ api });
      const { accessToken } = server.signIn('ada');

      const profile = await server.handle(apiRequest('/api/profile', accessToken));
      const created = await server.handle(apiRequest('/api/created', accessToken, { method: 'POST', body: '{"id":7}' }));
      const nothing = await server.handle(apiRequest('/api/nothing', accessToken));

      expect(profile.status).toBe(200);
      expect(profile.headers.get('content-type')).toBe('application/json');
      expect(await profile.json()).toEqual({ name: 'ada', family: 'family-1' });
      expect(created.status).toBe(201);
      expect(await created.json()).toEqual({ id: 7 });
      expect(await nothing.json()).toBeNull();
      expect(server.stats).toMatchObject({ apiRequests: 3, apiUnauthorized: 0 });
    });

    it('lets the built-in routes answer when it returns undefined, body included', async () => {
      const server = createFakeAuthorizationServer({ api: async (request) => void (await request.text()) });
      const { accessToken } = server.signIn();

      const echo = await server.handle(apiRequest('/api/items', accessToken, { method: 'PUT', body: '{"a":1}' }));
      const teapot = await server.handle(apiRequest('/api/status/418', accessToken));

      expect(await echo.json()).toEqual({ ok: true, method: 'PUT', path: '/api/items', sub: 'user-1', body: { a: 1 } });
      expect(teapot.status).toBe(418);
    });

    it('is never called without a valid token: 401 invalid_token instead', async () => {
      const handler = vi.fn(api);
      const server = createFakeAuthorizationServer({ api: handler });
      const { accessToken } = server.signIn();
      server.revokeAll();

      const revoked = await server.handle(apiRequest('/api/profile', accessToken));
      const missing = await server.handle(apiRequest('/api/profile'));

      expect(revoked.status).toBe(401);
      expect(revoked.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
      expect(missing.status).toBe(401);
      expect(handler).not.toHaveBeenCalled();
      expect(server.stats).toMatchObject({ apiRequests: 2, apiUnauthorized: 2 });
    });

    it('answers HEAD with the headers and no content', async () => {
      const server = createFakeAuthorizationServer({ api });
      const { accessToken } = server.signIn();

      const response = await server.handle(apiRequest('/api/profile', accessToken, { method: 'HEAD' }));

      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(await response.text()).toBe('');
    });

    it('runs after the API delay, so an aborted request never reaches it', async () => {
      vi.useFakeTimers();
      const handler = vi.fn(api);
      const server = createFakeAuthorizationServer({ api: handler, apiDelay: 50 });
      const { accessToken } = server.signIn();
      const controller = new AbortController();

      const pending = server.handle(apiRequest('/api/profile', accessToken, { signal: controller.signal }));
      await vi.advanceTimersByTimeAsync(10);
      controller.abort();

      await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
      expect(handler).not.toHaveBeenCalled();
    });

    it('leaves the dpop challenge and the 404 for other paths alone', async () => {
      const handler = vi.fn(api);
      const server = createFakeAuthorizationServer({ api: handler });
      const { accessToken } = server.signIn();

      expect((await server.handle(apiRequest('/api/dpop', accessToken))).headers.get('dpop-nonce')).toBeTruthy();
      expect((await server.handle(apiRequest('/elsewhere', accessToken))).status).toBe(404);
      expect(handler).not.toHaveBeenCalled();
    });
  });
});
