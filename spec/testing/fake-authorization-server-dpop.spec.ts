// The library against the fake authorization server with DPoP (issue 23), the way a user tests a DPoP
// app: through msw (createOAuth2Handlers) and through the test transport. Every proof the library sent
// is checked again with jose afterwards.
import { http } from 'msw';
import { setupServer } from 'msw/node';
import { lastValueFrom, forkJoin } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../lib/client/create-http-client.js';
import { dpopBinding } from '../../lib/dpop/dpop-binding.js';
import { oauth2RefreshGrant } from '../../lib/oauth2/oauth2-refresh-grant.js';
import { createTokenSession } from '../../lib/session/create-token-session.js';
import type { TokenSet } from '../../lib/session/token-set.js';
import type { ApiRequest } from '../../lib/transport/api-request.js';
import { createFakeAuthorizationServer, type FakeAuthorizationServer } from '../../lib/testing/fake-authorization-server.js';
import { createOAuth2Handlers } from '../../lib/testing/oauth2-handlers.js';
import { createTestTransport } from '../../lib/testing/test-transport.js';
import { createDpopKey, joseVerdict, type DpopKey } from './fake-server/dpop-fixtures.js';

const ORIGIN = 'https://dpop.example.test';
const TOKEN_URL = `${ORIGIN}/oauth/token`;

/** A request as sent, for checking its proof afterwards. */
interface Sent {
  readonly method: string;
  readonly url: string;
  readonly authorization: string | null;
  readonly dpop: string | null;
}

/** Every proof valid by jose, each jti once, each signed by `key`. */
async function expectEveryProofValid(sent: readonly Sent[], key: DpopKey): Promise<void> {
  const seen = new Set<string>();
  for (const request of sent) {
    const token = /^DPoP (\S+)$/.exec(request.authorization ?? '')?.[1];
    expect(request.dpop, `${request.method} ${request.url}`).not.toBeNull();
    const verdict = await joseVerdict(request.dpop ?? '', { method: request.method, url: request.url, accessToken: token, seen });
    expect(verdict, `${request.method} ${request.url}`).toEqual({ jkt: key.thumbprint });
  }
}

function dpopSession(fake: FakeAuthorizationServer, key: DpopKey, tokens: TokenSet, fetchFn?: typeof fetch) {
  const dpop = dpopBinding({ key });
  fake.expireAccessTokens();
  // The client believes the access token expired too: the first request of the burst refreshes.
  return createTokenSession({ tokens: { ...tokens, expiresAt: Date.now() - 1 }, refresh: oauth2RefreshGrant({ tokenUrl: TOKEN_URL, dpop, ...(fetchFn && { fetch: fetchFn }) }), dpop });
}

describe('the library against the fake authorization server with DPoP', () => {
  describe('through msw', () => {
    const mswServer = setupServer();
    const sent: Sent[] = [];
    mswServer.events.on('request:start', ({ request }) => {
      sent.push({ method: request.method, url: request.url, authorization: request.headers.get('authorization'), dpop: request.headers.get('dpop') });
    });
    beforeAll(() => mswServer.listen({ onUnhandledRequest: 'error' }));
    afterEach(() => {
      mswServer.resetHandlers();
      sent.length = 0;
    });
    afterAll(() => mswServer.close());

    it('a burst of 20 after expiry makes one refresh grant (after one nonce challenge), every request ok, every proof valid; a nonce rotation is retried once per request, never refreshed', async () => {
      const key = await createDpopKey();
      // docs/testing.md, "DPoP": the fake with DPoP and nonces required.
      const fake = createFakeAuthorizationServer({ dpop: { nonces: true } });
      mswServer.use(...createOAuth2Handlers({ http, server: fake, origin: ORIGIN }));

      const issued = fake.signIn('ada', { jkt: key.thumbprint }); // key: the DpopKey your app's session uses
      const tokens = { accessToken: issued.accessToken, refreshToken: issued.refreshToken, expiresAt: issued.expiresAt, tokenType: issued.tokenType };
      const session = dpopSession(fake, key, tokens);
      const api = createHttpClient({ baseUrl: ORIGIN, session, retry: false });
      const burst = () => lastValueFrom(forkJoin(Array.from({ length: 20 }, (_, i) => api.get<{ sub: string }>(`/api/orders/${i}?page=1`))));

      const first = await burst();
      const afterFirst = fake.stats;
      fake.rotateDpopNonces(); // the next proofs with the old nonces get a use_dpop_nonce challenge
      const second = await burst();
      session.dispose();

      expect([...first, ...second].map((r) => r.sub)).toEqual(Array(40).fill('ada'));
      expect(afterFirst).toMatchObject({ refreshGrants: 1, dpopInvalidProofs: 0, apiUnauthorized: 0 });
      // One 400 use_dpop_nonce at the token endpoint; the API's challenge, at most once per request.
      expect(afterFirst.dpopNonceChallenges).toBeGreaterThanOrEqual(2);
      expect(afterFirst.dpopNonceChallenges).toBeLessThanOrEqual(21);
      expect(fake.stats).toMatchObject({ refreshGrants: 1, dpopInvalidProofs: 0 });
      expect(fake.stats.dpopNonceChallenges - afterFirst.dpopNonceChallenges).toBeLessThanOrEqual(20);
      expect(fake.stats.apiRequests - afterFirst.apiRequests).toBeLessThanOrEqual(40);
      expect(sent.filter((r) => r.url === TOKEN_URL)).toHaveLength(2);
      await expectEveryProofValid(sent, key);
    });
  });

  describe('through the test transport', () => {
    it('a burst of 20 after expiry makes one refresh grant, every request ok, every proof valid', async () => {
      const key = await createDpopKey();
      const fake = createFakeAuthorizationServer({ dpop: true });
      const sent: Sent[] = [];
      const viaFake: typeof fetch = async (input, init) => {
        const request = new Request(input, init);
        sent.push({ method: request.method, url: request.url, authorization: request.headers.get('authorization'), dpop: request.headers.get('dpop') });
        return fake.handle(request);
      };
      const testing = createTestTransport();
      testing.when(() => true, async (request: ApiRequest) => {
        const response = await viaFake(request.url, { method: request.method, headers: request.headers, body: request.body });
        return { status: response.status, headers: Object.fromEntries(response.headers), body: await response.json() };
      });
      const issued = fake.signIn('ada', { jkt: key.thumbprint });
      const session = dpopSession(fake, key, { ...issued }, viaFake);
      const api = createHttpClient({ baseUrl: ORIGIN, session, transport: testing.transport, retry: false });

      const answers = await lastValueFrom(forkJoin(Array.from({ length: 20 }, (_, i) => api.get<{ sub: string }>(`/api/orders/${i}`))));
      session.dispose();

      expect(answers.map((r) => r.sub)).toEqual(Array(20).fill('ada'));
      expect(fake.stats).toMatchObject({ refreshGrants: 1, tokenRequests: 1, apiRequests: 20, dpopProofs: 21, dpopInvalidProofs: 0 });
      expect(testing.requests.map((r) => r.request.headers['authorization']?.split(' ')[0])).toEqual(Array(20).fill('DPoP'));
      await expectEveryProofValid(sent, key);
    });
  });
});
