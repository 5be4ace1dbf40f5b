import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FakeAuthorizationServerConfig } from '../../lib/testing/fake-authorization-server.js';
import { startOAuth2Server, type RunningOAuth2Server } from '../../scripts/oauth2-server.js';

let running: RunningOAuth2Server | undefined;

async function start(config?: FakeAuthorizationServerConfig): Promise<RunningOAuth2Server> {
  running = await startOAuth2Server(config);
  return running;
}

function refresh(url: string, refreshToken: string, signal?: AbortSignal): Promise<Response> {
  return fetch(`${url}/oauth/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
    signal,
  });
}

function callApi(url: string, path: string, accessToken?: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (accessToken) headers.set('Authorization', `Bearer ${accessToken}`);
  return fetch(`${url}${path}`, { ...init, headers });
}

const settle = <T>(promise: Promise<T>) =>
  promise.then(
    (value) => ({ value, error: undefined }),
    (error: unknown) => ({ value: undefined, error }),
  );

const countResources = (type: string) => process.getActiveResourcesInfo().filter((name) => name === type).length;

describe('startOAuth2Server', () => {
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  describe('when started', () => {
    it('listens on 127.0.0.1 at a free port', async () => {
      const { url } = await start();

      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(new URL(url).port).not.toBe('0');
    });
  });

  describe('when a client refreshes over the socket', () => {
    it('rotates the refresh token and sends the RFC 6749 headers', async () => {
      const { url, server } = await start();
      const { refreshToken } = server.signIn();

      const response = await refresh(url, refreshToken);
      const body = (await response.json()) as { access_token: string; refresh_token: string };
      const reused = await refresh(url, refreshToken);

      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(server.issuedRefreshTokens.at(-1)).toBe(body.refresh_token);
      expect(reused.status).toBe(400);
      expect(await reused.json()).toMatchObject({ error: 'invalid_grant' });
      expect(server.stats).toMatchObject({ refreshGrants: 1, reuseDetected: 1, revokedFamilies: 1 });
    });

    it('passes HTTP Basic client credentials through', async () => {
      const { url, server } = await start({ clientId: 'app', clientSecret: 'secret' });
      const { refreshToken } = server.signIn();
      const authorization = `Basic ${Buffer.from('app:secret').toString('base64')}`;

      const accepted = await fetch(`${url}/oauth/token`, {
        method: 'POST',
        headers: { Authorization: authorization },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
      });
      const rejected = await refresh(url, server.issuedRefreshTokens.at(-1) ?? '');

      expect(accepted.status).toBe(200);
      expect(rejected.status).toBe(401);
    });
  });

  describe('when a client calls the API', () => {
    it('converts method, headers, query and body both ways', async () => {
      const { url, server } = await start();
      const { accessToken } = server.signIn();

      const ok = await callApi(url, '/api/items?delay=0', accessToken, {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ done: true }),
      });
      const expired = await callApi(url, '/api/items', 'stale');
      const teapot = await callApi(url, '/api/status/418', accessToken);
      const elsewhere = await callApi(url, '/nowhere', accessToken);

      expect(await ok.json()).toEqual({ ok: true, method: 'PATCH', path: '/api/items', sub: 'user-1', body: { done: true } });
      expect(expired.status).toBe(401);
      expect(expired.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
      expect(teapot.status).toBe(418);
      expect(await teapot.json()).toEqual({ status: 418 });
      expect(elsewhere.status).toBe(404);
    });
  });

  describe('when the fake serves your own API data', () => {
    it('answers it over the socket for a valid token and 401 for an expired one', async () => {
      const { url, server } = await start({ api: (_request, user) => ({ name: user.subject, orders: [1, 2] }) });
      const { accessToken } = server.signIn('ada');

      const ok = await callApi(url, '/api/orders', accessToken);
      server.expireAccessTokens();
      const expired = await callApi(url, '/api/orders', accessToken);

      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ name: 'ada', orders: [1, 2] });
      expect(expired.status).toBe(401);
      expect(expired.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    });
  });

  describe('when a client revokes a token over the socket (RFC 7009)', () => {
    it('revokes the family and counts the call', async () => {
      const { url, server } = await start();
      const { accessToken, refreshToken } = server.signIn();

      const response = await fetch(`${url}/oauth/revoke`, { method: 'POST', body: new URLSearchParams({ token: refreshToken }) });

      expect(response.status).toBe(200);
      expect((await callApi(url, '/api/me', accessToken)).status).toBe(401);
      expect(server.stats).toMatchObject({ revocationRequests: 1, revokedFamilies: 1 });
    });
  });

  describe('when cors is on and a page on another origin calls', () => {
    it('answers the preflight and exposes the challenge header', async () => {
      const { url, server } = await start({ cors: true });
      const { accessToken } = server.signIn();
      const origin = 'http://127.0.0.1:1';

      const preflight = await fetch(`${url}/api/me`, {
        method: 'OPTIONS',
        headers: { Origin: origin, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' },
      });
      const ok = await callApi(url, '/api/me', accessToken, { headers: { Origin: origin } });

      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-headers')).toBe('authorization');
      expect(ok.headers.get('access-control-allow-origin')).toBe(origin);
      expect(ok.headers.get('access-control-expose-headers')).toContain('WWW-Authenticate');
    });
  });

  describe('when a network fault is scripted', () => {
    it('destroys the socket so fetch rejects, then serves the next request', async () => {
      const { url, server } = await start();
      const { refreshToken } = server.signIn();
      server.failTokenRequests(1, 'network');

      const { error } = await settle(refresh(url, refreshToken));

      expect(error).toBeInstanceOf(TypeError);
      expect((await refresh(url, refreshToken)).status).toBe(200);
    });
  });

  describe('when the client disconnects while the server waits', () => {
    it('aborts the token request so the delayed grant never happens', async () => {
      // Aborts once the server has the request, not after a fixed 10 ms: on a loaded machine the body may
      // not even have arrived by then. The delay is long so the abort lands inside it however slow we are.
      const { url, server } = await start({ tokenDelay: 1_000 });
      const { refreshToken } = server.signIn();
      const controller = new AbortController();

      const pending = settle(refresh(url, refreshToken, controller.signal));
      await vi.waitFor(() => expect(server.stats.tokenRequests).toBe(1), { interval: 5 });
      controller.abort();
      const { error } = await pending;
      await new Promise((resolve) => setTimeout(resolve, 1_100));

      expect(error).toMatchObject({ name: 'AbortError' });
      expect(server.stats).toMatchObject({ tokenRequests: 1, refreshGrants: 0 });
      expect(server.issuedRefreshTokens).toEqual([refreshToken]);
    });
  });

  describe('when closed', () => {
    it('drops keep-alive and hanging connections and releases every socket', async () => {
      // libuv frees handles a loop turn after their close callbacks, hence waitFor rather than a plain read.
      await vi.waitFor(() => expect(countResources('TCPServerWrap')).toBe(0));
      const { url, server, close } = await start();
      const { accessToken, refreshToken } = server.signIn();
      await (await callApi(url, '/api/me', accessToken)).text();
      server.failTokenRequests(1, 'hang');
      const hanging = settle(refresh(url, refreshToken));
      await vi.waitFor(() => expect(server.stats.tokenRequests).toBe(1));
      expect(countResources('TCPServerWrap')).toBe(1);

      await close();
      running = undefined;

      expect((await hanging).error).toBeInstanceOf(TypeError);
      await vi.waitFor(() => {
        expect(countResources('TCPServerWrap')).toBe(0);
        expect(countResources('TCPSocketWrap')).toBe(0);
      });
    });
  });

  describe('when 200 refreshes race with the same refresh token', () => {
    it('grants exactly one and revokes the family', async () => {
      const { url, server } = await start();
      const { refreshToken } = server.signIn();

      const responses = await Promise.all(Array.from({ length: 200 }, () => refresh(url, refreshToken)));

      expect(responses.filter((response) => response.status === 200)).toHaveLength(1);
      expect(responses.filter((response) => response.status === 400)).toHaveLength(199);
      expect(server.stats).toMatchObject({ tokenRequests: 200, refreshGrants: 1, revokedFamilies: 1 });
    });
  });

  describe('when 1,000 API requests arrive at once', () => {
    it('answers every one', async () => {
      const { url, server } = await start({ apiDelay: 20 });
      const { accessToken } = server.signIn();

      const responses = await Promise.all(Array.from({ length: 1_000 }, () => callApi(url, '/api/me', accessToken)));

      expect(responses.every((response) => response.status === 200)).toBe(true);
      expect(server.stats.apiRequests).toBe(1_000);
    });
  });
});
