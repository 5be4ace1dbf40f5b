// lib/testing/fake-server/client-assertion.ts: the fake authorization server checks private_key_jwt
// client assertions (RFC 7523), so that a machine session on privateKeyJwt can be tested (issue 24).
import { firstValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createHttpClient } from '../../../lib/client/create-http-client.js';
import { signJws } from '../../../lib/oauth2/jws-sign.js';
import { oauth2ClientCredentialsGrant } from '../../../lib/oauth2/oauth2-client-credentials-grant.js';
import { privateKeyJwt } from '../../../lib/oauth2/private-key-jwt.js';
import { createTokenSession } from '../../../lib/session/create-token-session.js';
import { createFakeAuthorizationServer } from '../../../lib/testing/fake-authorization-server.js';
import { ORIGIN } from '../fake-authorization-server-fixtures.js';
import { post } from './fake-server-fixtures.js';

const TOKEN_URL = `${ORIGIN}/oauth/token`;
const TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

async function keyPair(kid: string) {
  const pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  return { privateKey: pair.privateKey, publicJwk: { ...(await crypto.subtle.exportKey('jwk', pair.publicKey)), kid } };
}

describe('createFakeAuthorizationServer({ clientJwks })', () => {
  it('serves a machine session on privateKeyJwt: a fresh assertion per grant, each verified', async () => {
    const { privateKey, publicJwk } = await keyPair('k1');
    const server = createFakeAuthorizationServer({ clientId: 'reports', clientJwks: [publicJwk], accessTokenTtl: 60_000 });
    const viaFake: typeof fetch = (input, init) => server.handle(new Request(input, init));
    const session = createTokenSession({
      tokens: 'fetch',
      refresh: oauth2ClientCredentialsGrant({ tokenUrl: TOKEN_URL, clientAuthentication: privateKeyJwt({ clientId: 'reports', key: privateKey, kid: 'k1' }), fetch: viaFake }),
    });
    const api = createHttpClient({ baseUrl: ORIGIN, session, fetch: viaFake, retry: false });

    const first = await firstValueFrom(api.get<{ sub: string }>('/api/me'));
    server.revokeAll();
    const second = await firstValueFrom(api.get<{ sub: string }>('/api/me'));
    session.dispose();

    expect([first.sub, second.sub]).toEqual(['reports', 'reports']);
    expect(server.stats).toMatchObject({ tokenRequests: 2 });
  });

  describe('refuses with invalid_client', () => {
    const claims = (now = Date.now()) => ({ iss: 'reports', sub: 'reports', aud: TOKEN_URL, jti: crypto.randomUUID(), iat: Math.floor(now / 1000), exp: Math.floor(now / 1000) + 60 });

    it.each([
      ['another key under the same kid', { key: 'other' }],
      ['another client as iss', { claims: { iss: 'billing' } }],
      ['a sub that is not the client', { claims: { sub: 'billing' } }],
      ['an aud the server is not', { claims: { aud: 'https://elsewhere.test/token' } }],
      ['an expired assertion', { claims: { exp: Math.floor(Date.now() / 1000) - 1 } }],
      ['an assertion living past 600 s', { claims: { exp: Math.floor(Date.now() / 1000) + 3_600 } }],
      ['no jti', { claims: { jti: undefined } }],
      ['a wrong client_assertion_type', { type: 'urn:other' }],
    ] as const)('%s', async (_case, change: { key?: 'other'; claims?: Record<string, unknown>; type?: string }) => {
      const [own, other] = await Promise.all([keyPair('k1'), keyPair('k1')]);
      const server = createFakeAuthorizationServer({ clientId: 'reports', clientJwks: [own.publicJwk] });
      const signer = change.key === 'other' ? other.privateKey : own.privateKey;
      const assertion = await signJws(signer, 'ES256', { kid: 'k1' }, { ...claims(), ...change.claims });

      const response = await server.handle(post('/oauth/token', { grant_type: 'client_credentials', client_assertion_type: change.type ?? TYPE, client_assertion: assertion }));

      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: 'invalid_client' });
    });

    it('a replayed assertion (its jti seen already), and an assertion where the server knows no key', async () => {
      const { privateKey, publicJwk } = await keyPair('k1');
      const server = createFakeAuthorizationServer({ clientId: 'reports', clientJwks: [publicJwk] });
      const assertion = await signJws(privateKey, 'ES256', { kid: 'k1' }, claims());
      const form = { grant_type: 'client_credentials', client_assertion_type: TYPE, client_assertion: assertion };

      const statuses = [(await server.handle(post('/oauth/token', form))).status, (await server.handle(post('/oauth/token', form))).status];
      const keyless = await createFakeAuthorizationServer({ clientId: 'reports' }).handle(post('/oauth/token', form));

      expect(statuses).toEqual([200, 401]);
      expect(keyless.status).toBe(401);
    });
  });

  it('takes the server origin as aud too (the issuer), and refuses clientJwks without a clientId', async () => {
    const { privateKey, publicJwk } = await keyPair('k1');
    const server = createFakeAuthorizationServer({ clientId: 'reports', clientJwks: [publicJwk] });
    const now = Math.floor(Date.now() / 1000);
    const assertion = await signJws(privateKey, 'ES256', { kid: 'k1' }, { iss: 'reports', sub: 'reports', aud: ORIGIN, jti: 'j1', iat: now, exp: now + 60 });

    const response = await server.handle(post('/oauth/token', { grant_type: 'client_credentials', client_assertion_type: TYPE, client_assertion: assertion }));

    expect(response.status).toBe(200);
    expect(() => createFakeAuthorizationServer({ clientJwks: [publicJwk] })).toThrow('clientJwks must be an array of public JWKs, with clientId set');
  });
});
