import { http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createFakeAuthorizationServer,
  type FakeAuthorizationServer,
  type FakeAuthorizationServerConfig,
} from '../../lib/testing/fake-authorization-server.js';
import { createOAuth2Handlers } from '../../lib/testing/oauth2-handlers.js';

const ORIGIN = 'https://api.example.test';
const mswServer = setupServer();

let fake: FakeAuthorizationServer;

function mount(config?: FakeAuthorizationServerConfig): FakeAuthorizationServer {
  fake = createFakeAuthorizationServer(config);
  mswServer.use(...createOAuth2Handlers({ http, server: fake, origin: `${ORIGIN}/` }));
  return fake;
}

function refresh(refreshToken: string, signal?: AbortSignal): Promise<Response> {
  return fetch(`${ORIGIN}/oauth/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
    signal,
  });
}

function callApi(path: string, accessToken: string | undefined, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (accessToken) headers.set('Authorization', `Bearer ${accessToken}`);
  return fetch(`${ORIGIN}${path}`, { ...init, headers });
}

describe('createOAuth2Handlers', () => {
  beforeAll(() => mswServer.listen({ onUnhandledRequest: 'error' }));
  beforeEach(() => {
    mount();
  });
  afterEach(() => mswServer.resetHandlers());
  afterAll(() => mswServer.close());

  describe('when fetch calls the token endpoint', () => {
    it('rotates the refresh token through the model', async () => {
      const { refreshToken } = fake.signIn();

      const response = await refresh(refreshToken);
      const body = (await response.json()) as { access_token: string; refresh_token: string };

      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(fake.issuedRefreshTokens.at(-1)).toBe(body.refresh_token);
      expect((await refresh(refreshToken)).status).toBe(400);
      expect((await callApi('/api/me', body.access_token)).status).toBe(401);
      expect(fake.stats).toMatchObject({ refreshGrants: 1, reuseDetected: 1, revokedFamilies: 1 });
    });
  });

  describe('when fetch calls the API', () => {
    it('answers with the model, headers included', async () => {
      const { accessToken } = fake.signIn();

      const ok = await callApi('/api/things', accessToken, { method: 'POST', body: JSON.stringify([1, 2]) });
      const denied = await callApi('/api/things', 'stale');

      expect(await ok.json()).toEqual({ ok: true, method: 'POST', path: '/api/things', sub: 'user-1', body: [1, 2] });
      expect(denied.status).toBe(401);
      expect(denied.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
      expect((await callApi('/api/dpop', accessToken)).headers.get('www-authenticate')).toBe(
        'DPoP error="use_dpop_nonce"',
      );
    });
  });

  describe('when a network fault is scripted', () => {
    it('makes fetch reject with a TypeError, like a real network failure', async () => {
      const { refreshToken } = fake.signIn();
      fake.failTokenRequests(1, 'network');

      const failure = await refresh(refreshToken).then(
        () => undefined,
        (error: unknown) => error,
      );

      expect(failure).toBeInstanceOf(TypeError);
      expect((failure as TypeError).message).toBe('Failed to fetch');
      expect((await refresh(refreshToken)).status).toBe(200);
    });
  });

  describe('when the token request hangs', () => {
    it('rejects fetch once the caller aborts, without msw logging a handler exception', async () => {
      const consoleError = vi.spyOn(console, 'error');
      const { refreshToken } = fake.signIn();
      fake.failTokenRequests(1, 'hang');
      const controller = new AbortController();

      const pending = refresh(refreshToken, controller.signal);
      setTimeout(() => controller.abort(), 20);

      await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
      expect((await refresh(refreshToken)).status).toBe(200);
      expect(consoleError).not.toHaveBeenCalled();
    });
  });

  describe('when an API delay is aborted', () => {
    it('passes the abort on to the model through request.signal', async () => {
      const consoleError = vi.spyOn(console, 'error');
      const model = createFakeAuthorizationServer({ apiDelay: 10_000 });
      const outcomes: Promise<unknown>[] = [];
      const handle = (request: Request) => {
        const answer = model.handle(request);
        outcomes.push(answer.catch((error: unknown) => error));
        return answer;
      };
      mswServer.use(...createOAuth2Handlers({ http, server: { ...model, handle }, origin: ORIGIN }));
      const { accessToken } = model.signIn();
      const controller = new AbortController();

      const pending = callApi('/api/slow', accessToken, { signal: controller.signal });
      setTimeout(() => controller.abort(), 20);

      await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
      expect(outcomes).toHaveLength(1);
      expect(await outcomes[0]).toMatchObject({ name: 'AbortError' });
      expect(consoleError).not.toHaveBeenCalled();
    });
  });

  describe('when your own msw handler serves data behind fake.authorize', () => {
    beforeEach(() => {
      // Registered after the fake's catch-all, so it is prepended and wins for its path.
      mswServer.use(
        http.get(`${ORIGIN}/v1/profile`, ({ request }) => {
          const user = fake.authorize(request);
          if (user instanceof Response) return user;
          return Response.json({ name: user.subject, plan: 'pro' });
        }),
      );
    });

    it('answers 200 with the custom JSON for a valid token', async () => {
      const { accessToken } = fake.signIn('ada');

      const response = await callApi('/v1/profile', accessToken);

      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ name: 'ada', plan: 'pro' });
      expect(fake.stats).toMatchObject({ apiRequests: 1, apiUnauthorized: 0 });
    });

    it('answers 401 invalid_token for an expired token, and 200 again after a refresh', async () => {
      const { accessToken, refreshToken } = fake.signIn('ada');
      fake.expireAccessTokens();

      const expired = await callApi('/v1/profile', accessToken);
      const { access_token } = (await (await refresh(refreshToken)).json()) as { access_token: string };
      const retried = await callApi('/v1/profile', access_token);

      expect(expired.status).toBe(401);
      expect(expired.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
      expect(await expired.json()).toEqual({ error: 'invalid_token' });
      expect(retried.status).toBe(200);
      expect(fake.stats).toMatchObject({ apiRequests: 2, apiUnauthorized: 1, refreshGrants: 1 });
    });

    it('answers 401 for every token of a family revoked by reuse detection', async () => {
      const { refreshToken } = fake.signIn('ada');
      const { access_token } = (await (await refresh(refreshToken)).json()) as { access_token: string };
      expect((await callApi('/v1/profile', access_token)).status).toBe(200);

      await refresh(refreshToken);

      expect((await callApi('/v1/profile', access_token)).status).toBe(401);
      expect((await callApi('/v1/profile', undefined)).status).toBe(401);
      expect(fake.stats).toMatchObject({ reuseDetected: 1, revokedFamilies: 1, apiUnauthorized: 2 });
    });
  });

  describe('when the fake is configured with an api handler', () => {
    it('serves the custom data through createOAuth2Handlers, behind the token check', async () => {
      mswServer.resetHandlers();
      mount({ api: (request, user) => (new URL(request.url).pathname === '/api/profile' ? { name: user.subject } : undefined) });
      const { accessToken } = fake.signIn('ada');

      const profile = await callApi('/api/profile', accessToken);
      const echo = await callApi('/api/other', accessToken);
      const denied = await callApi('/api/profile', 'stale');

      expect(await profile.json()).toEqual({ name: 'ada' });
      expect(await echo.json()).toMatchObject({ ok: true, path: '/api/other', sub: 'ada' });
      expect(denied.status).toBe(401);
      expect(denied.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    });
  });

  describe('when the token endpoint redirects', () => {
    it('lets fetch see the 307 and its Location when it does not follow', async () => {
      const { refreshToken } = fake.signIn();
      fake.failTokenRequests(1, 'redirect', { location: 'https://elsewhere.example.test/steal' });

      const response = await fetch(`${ORIGIN}/oauth/token`, {
        method: 'POST',
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
        redirect: 'manual',
      });

      expect(response.status).toBe(307);
      expect(response.headers.get('location')).toBe('https://elsewhere.example.test/steal');
      expect(fake.stats).toMatchObject({ tokenRequests: 1, refreshGrants: 0 });
    });
  });

  describe('when 200 refreshes race through msw with the same refresh token', () => {
    it('grants exactly one and revokes the family', async () => {
      const { refreshToken } = fake.signIn();

      const responses = await Promise.all(Array.from({ length: 200 }, () => refresh(refreshToken)));

      expect(responses.filter((response) => response.status === 200)).toHaveLength(1);
      expect(responses.filter((response) => response.status === 400)).toHaveLength(199);
      expect(fake.stats).toMatchObject({ tokenRequests: 200, refreshGrants: 1, revokedFamilies: 1 });
    });
  });
});
