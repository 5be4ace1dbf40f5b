import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { oauth2RefreshGrant } from '../../lib/oauth2/oauth2-refresh-grant.js';
import { createHttpClient } from '../../lib/client/create-http-client.js';
import { createTokenSession } from '../../lib/session/create-token-session.js';
import type { SessionEvent } from '../../lib/session/session-event.js';
import { createFakeAuthorizationServer } from '../../lib/testing/fake-authorization-server.js';
import { createOAuth2Handlers } from '../../lib/testing/oauth2-handlers.js';
import { outcomes } from '../helpers/outcomes.js';

const API = 'https://api.example.test';
const CDN = 'https://files.example.test';
const ELSEWHERE = 'https://tracker.example.net';

interface Seen {
  url: string;
  method: string;
  authorization: string | null;
  text: string;
}

const seen: Seen[] = [];
const msw = setupServer();

describe('where tokens travel', () => {
  beforeAll(() => {
    msw.listen({ onUnhandledRequest: 'error' });
    msw.events.on('request:start', ({ request }) => {
      void request
        .clone()
        .text()
        .then((text) => seen.push({ url: request.url, method: request.method, authorization: request.headers.get('authorization'), text }));
    });
  });
  afterEach(() => msw.resetHandlers());
  afterAll(() => msw.close());

  it('sends the access token only to allowed origins and the refresh token only to the token endpoint, and never reports either', async () => {
    const fake = createFakeAuthorizationServer();
    msw.use(
      ...createOAuth2Handlers({ http, server: fake, origin: `${API}/` }),
      http.all(`${CDN}/*`, () => HttpResponse.json({ cdn: true })),
      http.all(`${ELSEWHERE}/*`, () => HttpResponse.json({ elsewhere: true })),
    );
    const issued = fake.signIn();
    const session = createTokenSession({
      tokens: { accessToken: issued.accessToken, refreshToken: issued.refreshToken },
      refresh: oauth2RefreshGrant({ tokenUrl: `${API}/oauth/token`, clientId: 'web' }),
      refreshRetry: { baseDelay: 0 },
    });
    const events: SessionEvent[] = [];
    session.events$.subscribe((e) => events.push(e));
    const api = createHttpClient({ baseUrl: `${API}/api`, session, allowedOrigins: [CDN], retry: { maxRetries: 1, baseDelay: 0 } });

    // Through a refresh, a transient token failure, an error status and finally a revocation.
    fake.expireAccessTokens();
    fake.failTokenRequests(1, 'server-error');
    const first = await outcomes([api.get('/a'), api.get(`${CDN}/x`), api.get(`${ELSEWHERE}/pixel`), api.get('/status/500'), api.post('/forbidden', { a: 1 })]);
    const middle = session.state.tokens!;
    fake.revokeAll();
    const last = await outcomes([api.get('/b'), api.get(`${ELSEWHERE}/pixel`), api.get(`${CDN}/y`)]);
    await new Promise((resolve) => setTimeout(resolve, 20));

    const accessTokens = [issued.accessToken, middle.accessToken];
    const refreshTokens = fake.issuedRefreshTokens;
    expect(first.filter((r) => r.ok)).toHaveLength(3);
    expect(seen.length).toBeGreaterThan(5);
    for (const request of seen) {
      const origin = new URL(request.url).origin;
      const carried = `${request.url} ${request.authorization ?? ''} ${request.text}`;
      if (origin === ELSEWHERE) expect(request.authorization).toBeNull();
      if (origin !== API && origin !== CDN) for (const token of accessTokens) expect(carried).not.toContain(token);
      const isTokenEndpoint = request.url === `${API}/oauth/token`;
      if (!isTokenEndpoint) for (const token of refreshTokens) expect(carried).not.toContain(token);
    }
    expect(seen.filter((r) => new URL(r.url).origin === CDN).every((r) => r.authorization?.startsWith('Bearer '))).toBe(true);

    const reported = JSON.stringify([
      events,
      ...[...first, ...last].flatMap((r) => (r.ok ? [] : [String(r.error), (r.error as Error).message, JSON.stringify(r.error), String((r.error as Error).cause)])),
    ]);
    for (const token of [...accessTokens, ...refreshTokens]) expect(reported).not.toContain(token);
    expect(last.filter((r) => !r.ok).map((r) => !r.ok && r.name)).toEqual(['TokenRevokedError']);
    session.dispose();
  });
});
