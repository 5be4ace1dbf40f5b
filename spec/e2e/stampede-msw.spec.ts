import { http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { oauth2RefreshGrant } from '../../lib/oauth2/oauth2-refresh-grant.js';
import { createHttpClient } from '../../lib/client/create-http-client.js';
import { createTokenSession } from '../../lib/session/create-token-session.js';
import type { SessionEvent } from '../../lib/session/session-event.js';
import { createFakeAuthorizationServer, type FakeAuthorizationServerConfig } from '../../lib/testing/fake-authorization-server.js';
import { createOAuth2Handlers } from '../../lib/testing/oauth2-handlers.js';
import { outcome, outcomes } from '../helpers/outcomes.js';

const ORIGIN = 'https://api.example.test';
const msw = setupServer();

function setup(config: FakeAuthorizationServerConfig = {}) {
  const fake = createFakeAuthorizationServer({ rotateRefreshTokens: true, reuseDetection: true, ...config });
  msw.use(...createOAuth2Handlers({ http, server: fake, origin: `${ORIGIN}/` }));
  const issued = fake.signIn();
  const session = createTokenSession({
    tokens: { accessToken: issued.accessToken, refreshToken: issued.refreshToken },
    refresh: oauth2RefreshGrant({ tokenUrl: `${ORIGIN}/oauth/token` }),
    refreshRetry: { baseDelay: 1 },
  });
  const events: SessionEvent[] = [];
  session.events$.subscribe((event) => events.push(event));
  const api = createHttpClient({ baseUrl: `${ORIGIN}/api`, session, retry: false });
  return { fake, session, api, events, issued };
}

describe('createHttpClient with a token session (msw)', () => {
  beforeAll(() => msw.listen({ onUnhandledRequest: 'error' }));
  afterEach(() => msw.resetHandlers());
  afterAll(() => msw.close());

  describe('when 1,000 concurrent requests carry an access token the server has expired', () => {
    it('calls the token endpoint once and all 1,000 succeed with the new token', async () => {
      const { fake, session, api, events } = setup({ tokenDelay: 20 });
      fake.expireAccessTokens();

      const results = await outcomes(Array.from({ length: 1_000 }, (_, i) => api.get(`/widgets/${i}`)));

      expect(results.filter((r) => !r.ok)).toEqual([]);
      expect(fake.stats.tokenRequests).toBe(1);
      expect(fake.stats.reuseDetected).toBe(0);
      expect(events.filter((e) => e.type === 'refresh-started')).toHaveLength(1);
      expect(session.state.tokens?.refreshToken).toBe(fake.issuedRefreshTokens.at(-1));
      // The follow-up uses the stored token: no refresh, no 401.
      fake.resetStats();
      expect((await outcome(api.get('/after'))).ok).toBe(true);
      expect(fake.stats).toMatchObject({ tokenRequests: 0, apiUnauthorized: 0 });
      session.dispose();
    });
  });

  describe('when 1,000 concurrent requests find the token expired by the clock', () => {
    it('refreshes once before sending: no request gets a 401', async () => {
      const { fake, session, api } = setup();
      session.setTokens({ ...session.state.tokens!, expiresAt: Date.now() - 1 });
      fake.expireAccessTokens();

      const results = await outcomes(Array.from({ length: 1_000 }, (_, i) => api.get(`/widgets/${i}`)));

      expect(results.every((r) => r.ok)).toBe(true);
      expect(fake.stats).toMatchObject({ tokenRequests: 1, apiUnauthorized: 0, apiRequests: 1_000 });
      session.dispose();
    });
  });

  describe('when 401s arrive after the refresh finished (slow API)', () => {
    it('retries them with the new token and never refreshes again', async () => {
      const { fake, session, api, events } = setup({ tokenDelay: 10 });
      fake.expireAccessTokens();

      const fast = Array.from({ length: 5 }, (_, i) => api.get(`/fast/${i}`));
      const slow = Array.from({ length: 5 }, (_, i) => api.get(`/slow/${i}`, { params: { delay: 150 } }));
      const results = await outcomes([...fast, ...slow]);

      expect(results.every((r) => r.ok)).toBe(true);
      expect(fake.stats.tokenRequests).toBe(1);
      expect(fake.stats.apiUnauthorized).toBe(10);
      // The slow ones' 401 came when the session was at generation 1 already.
      expect(events.filter((e) => e.type === 'refresh-succeeded')).toEqual([expect.objectContaining({ generation: 1 })]);
      expect(events.filter((e) => e.type === 'request-retried')).toHaveLength(10);
      session.dispose();
    });
  });

  describe('when every waiter unsubscribes while the refresh is in flight', () => {
    it('completes the refresh, stores both rotated tokens, and the next request needs no refresh', async () => {
      const { fake, session, api } = setup({ tokenDelay: 50 });
      fake.expireAccessTokens();
      const refreshed = new Promise<void>((resolve) => {
        session.events$.subscribe((e) => e.type === 'refresh-succeeded' && resolve());
      });
      const started = new Promise<void>((resolve) => {
        session.events$.subscribe((e) => e.type === 'refresh-started' && resolve());
      });

      const subscriptions = Array.from({ length: 20 }, () => api.get('/leave').subscribe({ error: () => undefined }));
      await started;
      for (const subscription of subscriptions) subscription.unsubscribe();
      await refreshed;

      expect(session.state.tokens?.refreshToken).toBe(fake.issuedRefreshTokens.at(-1));
      fake.resetStats();
      expect((await outcome(api.get('/next'))).ok).toBe(true);
      expect(fake.stats).toMatchObject({ tokenRequests: 0, apiUnauthorized: 0, reuseDetected: 0 });
      session.dispose();
    });
  });

  describe('when the family is revoked on the server', () => {
    it('fails every waiter and every later request with TokenRevokedError, said once, with no extra calls', async () => {
      const { fake, session, api, events } = setup();
      fake.revokeAll();

      const results = await outcomes(Array.from({ length: 50 }, (_, i) => api.get(`/w/${i}`)));
      const calls = fake.stats.apiRequests;
      const later = await outcomes(Array.from({ length: 10 }, () => api.get('/later')));

      expect(new Set([...results, ...later].map((r) => (r.ok ? 'ok' : r.name)))).toEqual(new Set(['TokenRevokedError']));
      expect(fake.stats.tokenRequests).toBe(1);
      expect(fake.stats.apiRequests).toBe(calls);
      expect(events.filter((e) => e.type === 'session-revoked')).toHaveLength(1);

      const fresh = fake.signIn();
      session.setTokens({ accessToken: fresh.accessToken, refreshToken: fresh.refreshToken });
      expect((await outcome(api.get('/revived'))).ok).toBe(true);
      session.dispose();
    });
  });

  describe('when the token endpoint misbehaves', () => {
    it.each([
      ['html', /not JSON \(content-type text\/html/],
      ['no-access-token', /no access_token/],
    ] as const)('a %s answer fails the requests with a clear TokenRefreshError, once', async (kind, message) => {
      const { fake, session, api } = setup();
      fake.expireAccessTokens();
      fake.failTokenRequests(1, kind);

      const results = await outcomes(Array.from({ length: 20 }, () => api.get('/x')));

      for (const r of results) {
        expect(r.ok).toBe(false);
        if (!r.ok) {
          expect(r.name).toBe('TokenRefreshError');
          expect((r.error as Error).message).toMatch(message);
        }
      }
      expect(fake.stats.tokenRequests).toBe(1);
      session.dispose();
    });

    it('recovers from a network failure and a 503 with backoff', async () => {
      const { fake, session, api } = setup();
      fake.expireAccessTokens();
      fake.failTokenRequests(1, 'network');
      fake.failTokenRequests(1, 'server-error');

      const results = await outcomes(Array.from({ length: 20 }, () => api.get('/x')));

      expect(results.every((r) => r.ok)).toBe(true);
      expect(fake.stats).toMatchObject({ tokenRequests: 3, refreshGrants: 1, reuseDetected: 0 });
      session.dispose();
    });
  });
});
