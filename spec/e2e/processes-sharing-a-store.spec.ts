// Three "processes" (sessions with a client each) share one store and lock against the OAuth2
// server of scripts/: one refresh across them all, and a revocation every process adopts.
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../lib/client/create-http-client.js';
import { oauth2RefreshGrant } from '../../lib/oauth2/oauth2-refresh-grant.js';
import { createTokenSession, type TokenSession } from '../../lib/session/create-token-session.js';
import type { SessionEvent } from '../../lib/session/session-event.js';
import { shareInMemory } from '../../lib/session/sharing/share-in-memory.js';
import { type RunningOAuth2Server, startOAuth2Server } from '../../scripts/oauth2-server.js';
import { outcomes } from '../helpers/outcomes.js';

describe('createTokenSession with a shared TokenStore and RefreshLock', () => {
  let running: RunningOAuth2Server | undefined;
  const sessions: TokenSession[] = [];
  afterEach(async () => {
    for (const s of sessions.splice(0)) s.dispose();
    await running?.close();
    running = undefined;
  });

  describe('when three "processes" share one refresh token and all see it expire', () => {
    it('refreshes once across all of them and every process ends with the newest tokens', async () => {
      running = await startOAuth2Server({ tokenDelay: 20, rotateRefreshTokens: true, reuseDetection: true });
      const fake = running.server;
      const issued = fake.signIn();
      const share = shareInMemory();
      const events: SessionEvent[][] = [];
      const clients = Array.from({ length: 3 }, (_, i) => {
        const session = createTokenSession({
          tokens: { accessToken: issued.accessToken, refreshToken: issued.refreshToken },
          refresh: oauth2RefreshGrant({ tokenUrl: `${running!.url}/oauth/token` }),
          share,
        });
        sessions.push(session);
        events[i] = [];
        session.events$.subscribe((e) => events[i]!.push(e));
        return createHttpClient({ baseUrl: `${running!.url}/api`, session, retry: false });
      });
      fake.expireAccessTokens();

      const results = await outcomes(clients.flatMap((api) => Array.from({ length: 100 }, (_, i) => api.get(`/p/${i}`))));

      expect(results.filter((r) => !r.ok)).toEqual([]);
      expect(fake.stats).toMatchObject({ tokenRequests: 1, refreshGrants: 1, reuseDetected: 0 });
      const newest = fake.issuedRefreshTokens.at(-1);
      expect(sessions.map((s) => s.state.tokens?.refreshToken)).toEqual([newest, newest, newest]);
      expect(share.current?.tokens?.refreshToken).toBe(newest);
      // Exactly one process reports the refresh; the others adopted its result from the store.
      expect(events.map((list) => list.filter((e) => e.type === 'refresh-succeeded').length).sort()).toEqual([0, 0, 1]);
    });
  });

  describe('when another process revokes the shared session', () => {
    it('adopts the revocation and says so once', async () => {
      running = await startOAuth2Server({ rotateRefreshTokens: true });
      const issued = running.server.signIn();
      const share = shareInMemory();
      const make = () => {
        const s = createTokenSession({
          tokens: { accessToken: issued.accessToken, refreshToken: issued.refreshToken },
          refresh: oauth2RefreshGrant({ tokenUrl: `${running!.url}/oauth/token` }),
          share,
        });
        sessions.push(s);
        return s;
      };
      const a = make();
      const b = make();
      const seen: SessionEvent[] = [];
      b.events$.subscribe((e) => seen.push(e));
      running.server.revokeAll();

      await outcomes([createHttpClient({ baseUrl: `${running.url}/api`, session: a }).get('/x')]);
      await new Promise((resolve) => setTimeout(resolve, 10));

      expect(b.state.revoked).toBe(true);
      expect(seen.filter((e) => e.type === 'session-revoked')).toHaveLength(1);
    });
  });

});
