// @vitest-environment happy-dom
// DPoP through the Angular interceptor (issue 23): provideTokenRefresh with a session that has
// `dpop: dpopBinding(...)`, against the testing fake server with DPoP and nonces (msw, withFetch()).
// Runs on every Angular major CI tests (scripts/ci/angular-major.sh).
import './setup.js';
import { HttpClient, provideHttpClient, withFetch, withInterceptors } from '@angular/common/http';
import { Injectable, inject, provideZonelessChangeDetection, type ApplicationConfig } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { http } from 'msw';
import { setupServer } from 'msw/node';
import { describe, expect, it } from 'vitest';
import { provideTokenRefresh, TOKEN_SESSION, tokenRefreshInterceptor } from '../../lib/angular/index.js';
import { createDpopKey, type DpopKey } from '../../lib/dpop/dpop-key.js';
import { dpopBinding } from '../../lib/dpop/dpop-binding.js';
import { oauth2RefreshGrant } from '../../lib/oauth2/oauth2-refresh-grant.js';
import type { TokenSet } from '../../lib/session/token-set.js';
import { createFakeAuthorizationServer } from '../../lib/testing/fake-authorization-server.js';
import { createOAuth2Handlers } from '../../lib/testing/oauth2-handlers.js';
import { outcome, outcomes } from '../helpers/outcomes.js';
import { useMswWithTestBed } from './angular-fixtures.js';
import { joseVerdict, proofClaims } from '../testing/fake-server/dpop-fixtures.js';

const ORIGIN = 'https://api.example.test';
const msw = setupServer();

@Injectable({ providedIn: 'root' })
class OrdersService {
  private readonly http = inject(HttpClient);
  get(id: number) {
    return this.http.get<{ sub: string; path: string }>(`${ORIGIN}/api/orders/${id}?expand=lines`);
  }
}

interface Sent {
  readonly method: string;
  readonly url: string;
  readonly authorization: string | null;
  readonly dpop: string | null;
}

async function setup() {
  const key = await createDpopKey();
  const fake = createFakeAuthorizationServer({ dpop: { nonces: true } });
  msw.use(...createOAuth2Handlers({ http, server: fake, origin: ORIGIN }));
  const issued = fake.signIn('alice', { jkt: key.thumbprint });
  const tokens: TokenSet = { accessToken: issued.accessToken, refreshToken: issued.refreshToken, expiresAt: issued.expiresAt, tokenType: 'DPoP' };
  const tokenUrl = `${ORIGIN}/oauth/token`;
  const apiOrigin = ORIGIN;
  const dpop = dpopBinding({ key });

  // docs/dpop.md, "An Angular app", from here to the end of appConfig.
  const appConfig: ApplicationConfig = {
    providers: [
      provideHttpClient(withFetch(), withInterceptors([tokenRefreshInterceptor])),
      provideTokenRefresh({
        allowedOrigins: [apiOrigin],
        sessionConfig: {
          tokens, // from your code exchange, made with a proof of this key: tokenType 'DPoP'
          refresh: oauth2RefreshGrant({ tokenUrl, clientId: 'web', dpop }),
          dpop,
        },
      }),
    ],
  };

  TestBed.configureTestingModule({ providers: [provideZonelessChangeDetection(), ...appConfig.providers] });
  const sent: Sent[] = [];
  msw.events.on('request:start', ({ request }) => {
    sent.push({ method: request.method, url: request.url, authorization: request.headers.get('authorization'), dpop: request.headers.get('dpop') });
  });
  return { key, fake, sent, orders: TestBed.inject(OrdersService), session: TestBed.inject(TOKEN_SESSION) };
}

/** Every proof valid by jose (signature, typ, htm, htu, ath of the token it came with), each jti once, by `key`. */
async function expectEveryProofValid(sent: readonly Sent[], key: DpopKey) {
  const seen = new Set<string>();
  for (const request of sent) {
    const accessToken = /^DPoP (\S+)$/.exec(request.authorization ?? '')?.[1];
    expect(await joseVerdict(request.dpop ?? '', { method: request.method, url: request.url, accessToken, seen }), request.url).toEqual({ jkt: key.thumbprint });
  }
}

describe('provideTokenRefresh with a DPoP session (dpopBinding)', () => {
  useMswWithTestBed(msw);

  it('sends Authorization: DPoP <token> with a proof carrying ath; the resource nonce challenge is sent once more, not refreshed', async () => {
    const { key, fake, sent, orders, session } = await setup();

    const result = await outcome(orders.get(1));

    expect(result).toMatchObject({ ok: true, value: { sub: 'alice', path: '/api/orders/1' } });
    const token = session.state.tokens?.accessToken;
    expect(sent.map((s) => s.authorization)).toEqual([`DPoP ${token}`, `DPoP ${token}`]);
    const [challenged, retried] = sent.map((s) => proofClaims(s.dpop));
    expect(challenged).toMatchObject({ htm: 'GET', htu: `${ORIGIN}/api/orders/1` });
    expect(challenged).not.toHaveProperty('nonce');
    expect(retried).toHaveProperty('nonce');
    expect(fake.stats).toMatchObject({ tokenRequests: 0, apiRequests: 2, dpopNonceChallenges: 1, apiUnauthorized: 0 });
    await expectEveryProofValid(sent, key);
  });

  it('a nonce rotated after the first call: each request retries once, never refreshes', async () => {
    const { fake, orders } = await setup();
    await outcome(orders.get(0));
    fake.rotateDpopNonces();
    const before = fake.stats;

    const results = await outcomes(Array.from({ length: 5 }, (_, i) => orders.get(i)));

    expect(results.every((r) => r.ok)).toBe(true);
    expect(fake.stats.tokenRequests).toBe(0);
    expect(fake.stats.apiRequests - before.apiRequests).toBeLessThanOrEqual(10);
    expect(fake.stats.dpopNonceChallenges - before.dpopNonceChallenges).toBeLessThanOrEqual(5);
  });

  it('a burst of 20 after the server expired the token makes one refresh grant, 20 of 20 ok, every proof valid', async () => {
    const { key, fake, sent, orders, session } = await setup();
    await outcome(orders.get(0)); // learns the resource nonce
    const before = session.state.tokens?.accessToken;
    fake.expireAccessTokens();

    const results = await outcomes(Array.from({ length: 20 }, (_, i) => orders.get(i)));

    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(fake.stats).toMatchObject({ refreshGrants: 1, dpopInvalidProofs: 0 });
    expect(fake.stats.apiUnauthorized).toBeLessThanOrEqual(20);
    expect(session.state.tokens?.accessToken).not.toBe(before);
    expect(session.state.tokens?.tokenType).toBe('DPoP');
    await expectEveryProofValid(sent, key);
  });
});
