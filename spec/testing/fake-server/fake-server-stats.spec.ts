// lib/testing/fake-server/fake-server-stats.ts: the fake's counters and their reset.
import { describe, expect, it } from 'vitest';
import { createFakeAuthorizationServer } from '../../../lib/testing/fake-authorization-server.js';
import { apiStatus, ORIGIN, realTimersAfterEach, refresh } from '../fake-authorization-server-fixtures.js';

describe('createFakeAuthorizationServer', () => {
  realTimersAfterEach();

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
        dpopProofs: 0,
        dpopInvalidProofs: 0,
        dpopNonceChallenges: 0,
        dpopBoundTokens: 0,
      });
      expect(server.stats).toEqual({
        tokenRequests: 0,
        refreshGrants: 0,
        apiRequests: 0,
        apiUnauthorized: 0,
        reuseDetected: 0,
        revokedFamilies: 0,
        revocationRequests: 0,
        dpopProofs: 0,
        dpopInvalidProofs: 0,
        dpopNonceChallenges: 0,
        dpopBoundTokens: 0,
      });
    });
  });
});
