import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createFakeAuthorizationServer,
  FakeNetworkFault,
  type FakeAuthorizationServer,
  type FakeTokenFault,
} from '../../lib/testing/fake-authorization-server.js';

const ORIGIN = 'https://auth.example.test';

interface TokenRequestInit {
  form?: Record<string, string>;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

function tokenRequest(refreshToken: string | undefined, init: TokenRequestInit = {}): Request {
  const form = { grant_type: 'refresh_token', ...(refreshToken && { refresh_token: refreshToken }), ...init.form };
  return new Request(`${ORIGIN}/oauth/token`, {
    method: 'POST',
    body: new URLSearchParams(form),
    headers: init.headers,
    signal: init.signal,
  });
}

function apiRequest(path: string, accessToken?: string, init: RequestInit = {}): Request {
  const headers = new Headers(init.headers);
  if (accessToken) headers.set('Authorization', `Bearer ${accessToken}`);
  return new Request(`${ORIGIN}${path}`, { ...init, headers });
}

interface TokenBody {
  access_token?: string;
  token_type?: string;
  expires_in?: number;
  refresh_token?: string;
  error?: string;
  error_description?: string;
}

async function refresh(server: FakeAuthorizationServer, refreshToken: string, init?: TokenRequestInit) {
  const response = await server.handle(tokenRequest(refreshToken, init));
  return { response, body: (await response.json()) as TokenBody };
}

async function apiStatus(server: FakeAuthorizationServer, accessToken: string | undefined, path = '/api/me') {
  return (await server.handle(apiRequest(path, accessToken))).status;
}

function decodeSegment(segment: string | undefined): Record<string, unknown> {
  return JSON.parse(Buffer.from(segment ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

describe('createFakeAuthorizationServer', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

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

  describe('when a refresh token is redeemed with rotation on', () => {
    it('answers per RFC 6749 §5.1 with a new refresh token and Cache-Control: no-store', async () => {
      const server = createFakeAuthorizationServer({ accessTokenTtl: 90_500 });
      const { refreshToken } = server.signIn();

      const { response, body } = await refresh(server, refreshToken);

      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(body).toEqual({
        access_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
        token_type: 'Bearer',
        expires_in: 90,
        refresh_token: expect.any(String),
      });
      expect(body.refresh_token).not.toBe(refreshToken);
      expect(server.issuedRefreshTokens).toEqual([refreshToken, body.refresh_token]);
    });

    it('retires the presented refresh token and accepts the new one', async () => {
      const server = createFakeAuthorizationServer({ reuseDetection: false });
      const { refreshToken } = server.signIn();

      const first = await refresh(server, refreshToken);
      const again = await refresh(server, refreshToken);
      const next = await refresh(server, first.body.refresh_token ?? '');

      expect(again.response.status).toBe(400);
      expect(again.body.error).toBe('invalid_grant');
      expect(next.response.status).toBe(200);
      expect(await apiStatus(server, next.body.access_token)).toBe(200);
    });
  });

  describe('when a retired refresh token is presented again', () => {
    it('answers invalid_grant and revokes the whole family, access tokens included', async () => {
      const server = createFakeAuthorizationServer();
      const signedIn = server.signIn();
      const rotated = await refresh(server, signedIn.refreshToken);

      const reused = await refresh(server, signedIn.refreshToken);

      expect(reused.response.status).toBe(400);
      expect(reused.body).toEqual({ error: 'invalid_grant', error_description: expect.any(String) });
      expect(await apiStatus(server, signedIn.accessToken)).toBe(401);
      expect(await apiStatus(server, rotated.body.access_token)).toBe(401);
      expect((await refresh(server, rotated.body.refresh_token ?? '')).body.error).toBe('invalid_grant');
      expect(server.stats).toMatchObject({ refreshGrants: 1, reuseDetected: 1, revokedFamilies: 1 });
    });

    it('leaves other families working', async () => {
      const server = createFakeAuthorizationServer();
      const victim = server.signIn();
      const bystander = server.signIn();
      await refresh(server, victim.refreshToken);

      await refresh(server, victim.refreshToken);

      expect(await apiStatus(server, bystander.accessToken)).toBe(200);
      expect((await refresh(server, bystander.refreshToken)).response.status).toBe(200);
    });
  });

  describe('when reuse detection is off', () => {
    it('rejects the retired refresh token but keeps its family alive', async () => {
      const server = createFakeAuthorizationServer({ reuseDetection: false });
      const { refreshToken } = server.signIn();
      const rotated = await refresh(server, refreshToken);

      const reused = await refresh(server, refreshToken);

      expect(reused.body.error).toBe('invalid_grant');
      expect(await apiStatus(server, rotated.body.access_token)).toBe(200);
      expect((await refresh(server, rotated.body.refresh_token ?? '')).response.status).toBe(200);
      expect(server.stats).toMatchObject({ reuseDetected: 0, revokedFamilies: 0 });
    });
  });

  describe('when rotation is off', () => {
    it('omits refresh_token and keeps accepting the same refresh token', async () => {
      const server = createFakeAuthorizationServer({ rotateRefreshTokens: false });
      const { refreshToken } = server.signIn();

      const first = await refresh(server, refreshToken);
      const second = await refresh(server, refreshToken);

      expect(first.body).not.toHaveProperty('refresh_token');
      expect(second.response.status).toBe(200);
      expect(second.body.access_token).not.toBe(first.body.access_token);
      expect(server.issuedRefreshTokens).toEqual([refreshToken]);
      expect(server.stats).toMatchObject({ refreshGrants: 2, reuseDetected: 0 });
    });
  });

  describe('when 200 refreshes race with the same refresh token', () => {
    it('grants exactly one, treats the rest as reuse and revokes the family', async () => {
      const server = createFakeAuthorizationServer({ tokenDelay: 5 });
      const { refreshToken } = server.signIn();

      const results = await Promise.all(Array.from({ length: 200 }, () => refresh(server, refreshToken)));

      const granted = results.filter((result) => result.response.status === 200);
      expect(granted).toHaveLength(1);
      expect(results.filter((result) => result.body.error === 'invalid_grant')).toHaveLength(199);
      expect(await apiStatus(server, granted[0]?.body.access_token)).toBe(401);
      expect(server.stats).toMatchObject({ tokenRequests: 200, refreshGrants: 1, reuseDetected: 199, revokedFamilies: 1 });
    });
  });

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

  describe('when access tokens are expired server side', () => {
    it('rejects every access token issued so far but keeps refresh working', async () => {
      const server = createFakeAuthorizationServer();
      const first = server.signIn();
      const second = server.signIn();

      server.expireAccessTokens();

      expect(await apiStatus(server, first.accessToken)).toBe(401);
      expect(await apiStatus(server, second.accessToken)).toBe(401);
      const { body } = await refresh(server, first.refreshToken);
      expect(await apiStatus(server, body.access_token)).toBe(200);
    });
  });

  describe('when every family is revoked', () => {
    it('rejects all access and refresh tokens and counts the families', async () => {
      const server = createFakeAuthorizationServer();
      const first = server.signIn();
      const second = server.signIn();

      server.revokeAll();

      expect(await apiStatus(server, first.accessToken)).toBe(401);
      expect(await apiStatus(server, second.accessToken)).toBe(401);
      expect((await refresh(server, first.refreshToken)).body.error).toBe('invalid_grant');
      expect((await refresh(server, second.refreshToken)).body.error).toBe('invalid_grant');
      expect(server.stats.revokedFamilies).toBe(2);
      expect(server.signIn().accessToken).toBeTruthy();
    });
  });

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
  });

  describe('when token requests are scripted to fail', () => {
    it('throws FakeNetworkFault for a network fault, then serves the next request', async () => {
      const server = createFakeAuthorizationServer();
      const { refreshToken } = server.signIn();
      server.failTokenRequests(1, 'network');

      await expect(server.handle(tokenRequest(refreshToken))).rejects.toBeInstanceOf(FakeNetworkFault);
      const { response } = await refresh(server, refreshToken);

      expect(response.status).toBe(200);
      expect(server.stats).toMatchObject({ tokenRequests: 2, refreshGrants: 1 });
    });

    it.each<[FakeTokenFault, number, string | RegExp]>([
      ['server-error', 503, /^application\/json/],
      ['rate-limited', 429, /^application\/json/],
      ['html', 200, /^text\/html/],
      ['no-access-token', 200, /^application\/json/],
    ])('answers %s with status %i and leaves the refresh token unused', async (kind, status, contentType) => {
      const server = createFakeAuthorizationServer();
      const { refreshToken } = server.signIn();
      server.failTokenRequests(1, kind);

      const response = await server.handle(tokenRequest(refreshToken));
      const text = await response.text();

      expect(response.status).toBe(status);
      expect(response.headers.get('content-type')).toMatch(contentType);
      expect(text).not.toContain('access_token');
      if (kind === 'rate-limited') expect(response.headers.get('retry-after')).toBe('1');
      if (kind === 'server-error') expect(JSON.parse(text)).toMatchObject({ error: expect.any(String) });
      expect((await refresh(server, refreshToken)).response.status).toBe(200);
    });

    it('consumes scripted faults in order, one request each', async () => {
      const server = createFakeAuthorizationServer();
      const { refreshToken } = server.signIn();
      server.failTokenRequests(2, 'server-error');
      server.failTokenRequests(1, 'rate-limited');

      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await server.handle(tokenRequest(refreshToken))).status);

      expect(statuses).toEqual([503, 503, 429, 200]);
    });

    it('hangs until the request is aborted, then rejects with the abort reason', async () => {
      const server = createFakeAuthorizationServer();
      const { refreshToken } = server.signIn();
      server.failTokenRequests(1, 'hang');
      const controller = new AbortController();
      const reason = new Error('gave up');

      const pending = server.handle(tokenRequest(refreshToken, { signal: controller.signal }));
      const settled = vi.fn();
      pending.then(settled, settled);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(settled).not.toHaveBeenCalled();
      controller.abort(reason);

      await expect(pending).rejects.toBe(reason);
      expect((await refresh(server, refreshToken)).response.status).toBe(200);
    });

    it('rejects a negative count', () => {
      expect(() => createFakeAuthorizationServer().failTokenRequests(-1, 'html')).toThrow(RangeError);
    });
  });

  describe('when delays are configured', () => {
    it('answers the token endpoint only after tokenDelay', async () => {
      vi.useFakeTimers();
      const server = createFakeAuthorizationServer({ tokenDelay: 50 });
      const { refreshToken } = server.signIn();
      const settled = vi.fn();

      server.handle(tokenRequest(refreshToken)).then(settled);
      await vi.advanceTimersByTimeAsync(49);
      expect(settled).not.toHaveBeenCalled();
      await vi.advanceTimersByTimeAsync(1);

      expect(settled).toHaveBeenCalledWith(expect.objectContaining({ status: 200 }));
    });

    it('stops waiting when the token request aborts, clears its timer and changes nothing', async () => {
      vi.useFakeTimers();
      const server = createFakeAuthorizationServer({ tokenDelay: 50 });
      const { refreshToken } = server.signIn();
      const controller = new AbortController();

      const pending = server.handle(tokenRequest(refreshToken, { signal: controller.signal }));
      await vi.advanceTimersByTimeAsync(10);
      expect(vi.getTimerCount()).toBe(1);
      controller.abort();

      await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
      expect(vi.getTimerCount()).toBe(0);
      expect(server.stats.refreshGrants).toBe(0);
      expect(server.issuedRefreshTokens).toEqual([refreshToken]);
    });

    it('delays API answers by apiDelay unless the request sets ?delay', async () => {
      vi.useFakeTimers();
      const server = createFakeAuthorizationServer({ apiDelay: 50 });
      const { accessToken } = server.signIn();
      const slow = vi.fn();
      const fast = vi.fn();

      server.handle(apiRequest('/api/me', accessToken)).then(slow);
      server.handle(apiRequest('/api/me?delay=0', accessToken)).then(fast);
      await vi.advanceTimersByTimeAsync(0);
      expect(fast).toHaveBeenCalledWith(expect.objectContaining({ status: 200 }));
      expect(slow).not.toHaveBeenCalled();
      await vi.advanceTimersByTimeAsync(50);

      expect(slow).toHaveBeenCalledWith(expect.objectContaining({ status: 200 }));
    });

    it('stops waiting when an API request aborts and clears its timer', async () => {
      vi.useFakeTimers();
      const server = createFakeAuthorizationServer();
      const { accessToken } = server.signIn();
      const controller = new AbortController();
      const reason = new Error('unsubscribed');

      const pending = server.handle(apiRequest('/api/me?delay=40', accessToken, { signal: controller.signal }));
      await vi.advanceTimersByTimeAsync(10);
      expect(vi.getTimerCount()).toBe(1);
      controller.abort(reason);

      await expect(pending).rejects.toBe(reason);
      expect(vi.getTimerCount()).toBe(0);
    });
  });

  describe('when stats are read and reset', () => {
    it('counts token and API traffic and starts again from zero after resetStats', async () => {
      const server = createFakeAuthorizationServer();
      const { accessToken, refreshToken } = server.signIn();
      await refresh(server, refreshToken);
      await apiStatus(server, accessToken);
      await apiStatus(server, 'bogus');
      await server.handle(new Request(`${ORIGIN}/elsewhere`));
      const before = server.stats;

      server.resetStats();

      expect(before).toEqual({
        tokenRequests: 1,
        refreshGrants: 1,
        apiRequests: 2,
        apiUnauthorized: 1,
        reuseDetected: 0,
        revokedFamilies: 0,
        revocationRequests: 0,
      });
      expect(server.stats).toEqual({
        tokenRequests: 0,
        refreshGrants: 0,
        apiRequests: 0,
        apiUnauthorized: 0,
        reuseDetected: 0,
        revokedFamilies: 0,
        revocationRequests: 0,
      });
    });
  });
});
