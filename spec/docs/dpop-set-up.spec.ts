// The set-ups of docs/dpop.md ("Set-up"): compiled here (tsc checks this file; the doc's blocks name
// it), and run where Node can run them, against the testing fake server with DPoP through msw. The
// SPA's key store needs IndexedDB and the fleet's session Redis: those two are compiled only; real
// Chromium (spec/tabs/dpop-*.spec.ts) and Redis (spec/redis) prove their parts. The Angular set-up
// is in spec/angular/dpop.spec.ts.
import { http } from 'msw';
import { setupServer } from 'msw/node';
import { createClient } from 'redis';
import { firstValueFrom } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { clientSecretBasic, createHttpClient, createTokenSession, oauth2ClientCredentialsGrant, oauth2RefreshGrant, oauth2Revocation, type TokenSet } from '../../lib/index.js';
import { createDpopKey, createDpopKeyStore, dpopBinding, importDpopKey } from '../../lib/dpop/index.js';
import { shareThroughRedis } from '../../lib/redis/index.js';
import { shareAcrossTabs } from '../../lib/tabs/index.js';
import { createFakeAuthorizationServer, createOAuth2Handlers } from '../../lib/testing/index.js';

/** docs/dpop.md, "A single-page app": compiled only (the key store needs IndexedDB). */
function spaSetUp(tokens: TokenSet) {
  const tokenUrl = 'https://auth.example.com/oauth/token';
  // One key per browser profile and origin, non-extractable, in IndexedDB: every tab and every reload get it.
  const dpop = dpopBinding({ key: createDpopKeyStore().load() });
  const session = createTokenSession({
    tokens, // from your code exchange, made with a proof of this key: tokenType 'DPoP'
    refresh: oauth2RefreshGrant({ tokenUrl, clientId: 'web', dpop }),
    revoke: oauth2Revocation({ revocationUrl: 'https://auth.example.com/oauth/revoke', clientId: 'web', dpop }),
    share: shareAcrossTabs({ name: 'my-app' }),
    dpop,
  });
  const api = createHttpClient({ baseUrl: 'https://api.example.com', session });
  return { session, api };
}

/** docs/dpop.md, "A fleet": compiled only (it needs Redis). */
async function fleetSetUp(initialTokensOrNull: TokenSet | null, userId: string) {
  // One private JWK for the whole fleet, kept where the fleet keeps its secrets; imported non-extractable.
  const dpop = dpopBinding({ key: importDpopKey(JSON.parse(process.env.DPOP_PRIVATE_JWK!) as JsonWebKey) });
  const client = await createClient({ url: process.env.REDIS_URL }).connect();
  const session = createTokenSession({
    refresh: oauth2RefreshGrant({ tokenUrl: 'https://auth.example.com/oauth/token', clientId: 'bff', dpop }),
    tokens: initialTokensOrNull, // an existing shared state in Redis wins over these
    share: shareThroughRedis({ client, key: `tokens:${userId}` }),
    dpop,
  });
  return session;
}

describe('docs/dpop.md, Set-up', () => {
  const msw = setupServer();
  beforeAll(() => msw.listen({ onUnhandledRequest: 'error' }));
  afterEach(() => {
    msw.resetHandlers();
    vi.unstubAllEnvs();
  });
  afterAll(() => msw.close());

  it('the SPA and fleet set-ups are functions of this file (compiled with it)', () => {
    expect([typeof spaSetUp, typeof fleetSetUp]).toEqual(['function', 'function']);
  });

  it('a Node service: its own key, a machine session whose tokens are bound to it', async () => {
    const fake = createFakeAuthorizationServer({ dpop: true, clientId: 'reports', clientSecret: 's3cret', apiPrefix: '/v1/' });
    msw.use(...createOAuth2Handlers({ http, server: fake, origin: 'https://auth.example.com' }), ...createOAuth2Handlers({ http, server: fake, origin: 'https://api.example.com' }));
    vi.stubEnv('CLIENT_SECRET', 's3cret');

    // A key of the process's own, made at start: the process's tokens are its own too.
    const dpop = dpopBinding({ key: createDpopKey() });
    const session = createTokenSession({
      tokens: 'fetch',
      refresh: oauth2ClientCredentialsGrant({
        tokenUrl: 'https://auth.example.com/oauth/token',
        clientAuthentication: clientSecretBasic({ clientId: 'reports', clientSecret: process.env.CLIENT_SECRET! }),
        dpop,
      }),
      dpop,
    });
    const api = createHttpClient({ baseUrl: 'https://api.example.com', session });
    const reports = await firstValueFrom(api.get('/v1/reports'));

    session.dispose();
    expect(reports).toMatchObject({ ok: true, sub: 'reports' });
    expect(fake.stats).toMatchObject({ tokenRequests: 1, dpopBoundTokens: 1, dpopProofs: 2, dpopInvalidProofs: 0 });
  });
});
