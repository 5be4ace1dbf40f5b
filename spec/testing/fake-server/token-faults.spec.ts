// lib/testing/fake-server/token-faults.ts: the token endpoint's scripted faults and hostile answers.
import { describe, expect, it, vi } from 'vitest';
import { createFakeAuthorizationServer } from '../../../lib/testing/fake-authorization-server.js';
import { apiStatus, claims, ORIGIN, post, refresh, refreshRequest, signedIn, type TokenBody } from './fake-server-fixtures.js';

describe('createFakeAuthorizationServer attack scripts', () => {
  describe('when faults are scripted for every later request', () => {
    it('applies an Infinity count until clearFaults, then serves normally', async () => {
      const { server, refreshToken } = signedIn();
      server.failTokenRequests(Infinity, 'server-error');

      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push((await server.handle(refreshRequest(refreshToken))).status);
      server.clearFaults();

      expect(statuses).toEqual([503, 503, 503, 503, 503]);
      expect((await refresh(server, refreshToken)).response.status).toBe(200);
    });

    it('rejects a fractional or negative count', () => {
      const server = createFakeAuthorizationServer();

      expect(() => server.failTokenRequests(1.5, 'html')).toThrow(RangeError);
      expect(() => server.failRevocationRequests(-Infinity, 'hang')).toThrow(RangeError);
    });

    it('hangs every token request until each one aborts: a token endpoint that never answers', async () => {
      const { server, refreshToken } = signedIn();
      server.failTokenRequests(Infinity, 'hang');
      const controllers = [new AbortController(), new AbortController()];

      const pending = controllers.map((c) => server.handle(post('/oauth/token', { refresh_token: refreshToken }, { signal: c.signal })));
      const settled = vi.fn();
      pending.forEach((p) => p.then(settled, settled));
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(settled).not.toHaveBeenCalled();
      controllers.forEach((c) => c.abort());

      for (const p of pending) await expect(p).rejects.toMatchObject({ name: 'AbortError' });
      expect(server.stats).toMatchObject({ tokenRequests: 2, refreshGrants: 0 });
    });
  });

  describe("when the token endpoint issues 'expired' tokens", () => {
    it('grants and rotates, with expires_in 0 and a JWT exp no later than its iat, dead at the API', async () => {
      const now = 1_700_000_000_000;
      const { server, refreshToken } = signedIn({ now: () => now });
      server.failTokenRequests(1, 'expired');

      const { response, body } = await refresh(server, refreshToken);

      expect(response.status).toBe(200);
      expect(body.expires_in).toBe(0);
      expect(claims(body.access_token).exp).toBeLessThanOrEqual(now / 1000);
      expect(body.refresh_token).toBe(server.issuedRefreshTokens.at(-1));
      expect(await apiStatus(server, body.access_token)).toBe(401);
      expect(server.stats).toMatchObject({ refreshGrants: 1, reuseDetected: 0 });
      expect((await refresh(server, body.refresh_token ?? '')).body.expires_in).toBe(60);
    });

    it("issues, for 'exp-in-past', no expires_in and a JWT exp 5 minutes in the past", async () => {
      const now = 1_700_000_000_000;
      const { server, refreshToken } = signedIn({ now: () => now });
      server.failTokenRequests(1, 'exp-in-past');

      const { response, body } = await refresh(server, refreshToken);

      expect(response.status).toBe(200);
      expect(body).not.toHaveProperty('expires_in');
      expect(claims(body.access_token)).toMatchObject({ exp: (now - 300_000) / 1000, iat: now / 1000 });
      expect(await apiStatus(server, body.access_token)).toBe(401);
    });

    it('still refuses a revoked refresh token with invalid_grant', async () => {
      const { server, refreshToken } = signedIn();
      server.revokeAll();
      server.failTokenRequests(1, 'expired');

      expect((await refresh(server, refreshToken)).body.error).toBe('invalid_grant');
    });
  });

  describe("when the token endpoint answers 'echo-form'", () => {
    it('echoes the posted form and the Authorization header in a 400 body, leaving the token unused', async () => {
      const { server, refreshToken } = signedIn();
      const authorization = `Basic ${btoa('app:s3cret')}`;
      server.failTokenRequests(1, 'echo-form');

      const response = await server.handle(refreshRequest(refreshToken, { Authorization: authorization }));
      const body = (await response.json()) as TokenBody;

      expect(response.status).toBe(400);
      expect(body.error).toBe('invalid_request');
      expect(body.error_description).toContain(refreshToken);
      expect(body.received).toEqual({ form: { grant_type: 'refresh_token', refresh_token: refreshToken }, authorization });
      expect((await refresh(server, refreshToken)).response.status).toBe(200);
    });
  });

  describe("when the token endpoint answers 'redirect'", () => {
    it('answers 307 to its own URL by default and leaves the refresh token unused', async () => {
      const { server, refreshToken } = signedIn();
      server.failTokenRequests(1, 'redirect');

      const response = await server.handle(refreshRequest(refreshToken));

      expect(response.status).toBe(307);
      expect(response.headers.get('location')).toBe(`${ORIGIN}/oauth/token`);
      expect(server.stats).toMatchObject({ tokenRequests: 1, refreshGrants: 0 });
      expect((await refresh(server, refreshToken)).response.status).toBe(200);
    });

    it('points to the given location, resolved against the request URL', async () => {
      const { server, refreshToken } = signedIn();
      server.failTokenRequests(1, 'redirect', { location: 'https://evil.example/steal' });
      server.failTokenRequests(1, 'redirect', { location: '/moved' });

      const absolute = await server.handle(refreshRequest(refreshToken));
      const relative = await server.handle(refreshRequest(refreshToken));

      expect(absolute.headers.get('location')).toBe('https://evil.example/steal');
      expect(relative.headers.get('location')).toBe(`${ORIGIN}/moved`);
    });
  });
});
