import { afterEach, describe, expect, it } from 'vitest';
import { oauth2RefreshGrant } from '../../lib/oauth2/oauth2-refresh-grant.js';
import { createHttpClient } from '../../lib/client/create-http-client.js';
import { createTokenSession, type TokenSession } from '../../lib/session/create-token-session.js';
import { startOAuth2Server, type RunningOAuth2Server } from '../../scripts/oauth2-server.js';
import { outcome, outcomes } from '../helpers/outcomes.js';

describe('createHttpClient against a real node:http OAuth2 server on 127.0.0.1', () => {
  let running: RunningOAuth2Server | undefined;
  let session: TokenSession | undefined;
  afterEach(async () => {
    session?.dispose();
    await running?.close();
  });

  async function start(tokenDelay: number) {
    running = await startOAuth2Server({ tokenDelay, rotateRefreshTokens: true, reuseDetection: true });
    const issued = running.server.signIn();
    session = createTokenSession({
      tokens: { accessToken: issued.accessToken, refreshToken: issued.refreshToken },
      refresh: oauth2RefreshGrant({ tokenUrl: `${running.url}/oauth/token` }),
    });
    const api = createHttpClient({ baseUrl: `${running.url}/api`, session, retry: false, timeout: 15_000 });
    return { fake: running.server, session, api };
  }

  describe('when 1,000 concurrent requests carry an expired access token', () => {
    it('calls the token endpoint exactly once, rotates once, and all 1,000 succeed', async () => {
      const { fake, session, api } = await start(25);
      fake.expireAccessTokens();

      const results = await outcomes(Array.from({ length: 1_000 }, (_, i) => api.get<{ path: string }>(`/dashboard/${i}`)));

      const failures = results.filter((r) => !r.ok);
      expect(failures.map((f) => !f.ok && f.name)).toEqual([]);
      expect(results.map((r) => r.ok && (r.value as { path: string }).path)).toEqual(
        Array.from({ length: 1_000 }, (_, i) => `/api/dashboard/${i}`),
      );
      // Reuse detection would have revoked the family if a rotated refresh token was sent twice.
      expect(fake.stats).toMatchObject({ tokenRequests: 1, refreshGrants: 1, reuseDetected: 0, revokedFamilies: 0 });
      expect(session.state.tokens?.refreshToken).toBe(fake.issuedRefreshTokens.at(-1));
    });
  });

  describe('when the naive pattern is used instead (each 401 refreshes on its own)', () => {
    it('loses the session to reuse detection: the problem the library exists to solve', async () => {
      const { fake, session } = await start(25);
      fake.expireAccessTokens();
      const refreshToken = session.state.tokens!.refreshToken!;
      const grant = oauth2RefreshGrant({ tokenUrl: `${running!.url}/oauth/token` });
      const { firstValueFrom } = await import('rxjs');

      const attempts = await Promise.allSettled(Array.from({ length: 6 }, () => firstValueFrom(grant(refreshToken))));

      expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
      expect(fake.stats.reuseDetected).toBe(5);
      expect(fake.stats.revokedFamilies).toBe(1);
    });
  });

  describe('when two bursts straddle one expiry', () => {
    it('refreshes once per expiry', async () => {
      const { fake, api } = await start(10);
      fake.expireAccessTokens();
      const first = await outcomes(Array.from({ length: 200 }, () => api.get('/a')));
      fake.expireAccessTokens();
      const second = await outcomes(Array.from({ length: 200 }, () => api.get('/b')));

      expect([...first, ...second].every((r) => r.ok)).toBe(true);
      expect(fake.stats).toMatchObject({ tokenRequests: 2, refreshGrants: 2, reuseDetected: 0 });
      expect((await outcome(api.get('/c'))).ok).toBe(true);
    });
  });
});
