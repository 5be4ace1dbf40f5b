// lib/testing/fake-server/fault-queue.ts: scripted token faults, taken one a request, in order.
import { describe, expect, it, vi } from 'vitest';
import { createFakeAuthorizationServer, FakeNetworkFault, type FakeTokenFault } from '../../../lib/testing/fake-authorization-server.js';
import { realTimersAfterEach, refresh, tokenRequest } from '../fake-authorization-server-fixtures.js';

describe('createFakeAuthorizationServer', () => {
  realTimersAfterEach();

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
});
