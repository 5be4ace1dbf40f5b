// lib/testing/fake-server/token-ledger.ts: the fake's tokens: rotation, reuse detection, families and their revocation.
import { describe, expect, it } from 'vitest';
import { createFakeAuthorizationServer } from '../../../lib/testing/fake-authorization-server.js';
import { apiStatus, realTimersAfterEach, refresh } from '../fake-authorization-server-fixtures.js';

describe('createFakeAuthorizationServer', () => {
  realTimersAfterEach();

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
});
