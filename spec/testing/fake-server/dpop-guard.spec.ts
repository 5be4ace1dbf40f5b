// lib/testing/fake-server/dpop-guard.ts: the fake authorization server with `dpop` in its config (issue 23):
// proofs checked at the token endpoint and the API, DPoP-bound tokens (refresh tokens too), nonces, stats.
import { describe, expect, it } from 'vitest';
import { createFakeAuthorizationServer, type FakeAuthorizationServer } from '../../../lib/testing/fake-authorization-server.js';
import { decodeSegment, ORIGIN, type TokenBody } from '../fake-authorization-server-fixtures.js';
import { createDpopKey, proofFor, type DpopKey } from './dpop-fixtures.js';

const TOKEN_URL = `${ORIGIN}/oauth/token`;
const API_URL = `${ORIGIN}/api/orders`;

async function tokenCall(server: FakeAuthorizationServer, form: Record<string, string>, proof?: string) {
  const headers: Record<string, string> = proof === undefined ? {} : { dpop: proof };
  const response = await server.handle(new Request(TOKEN_URL, { method: 'POST', body: new URLSearchParams(form), headers }));
  return { response, body: (await response.json()) as TokenBody };
}

const refreshWith = async (server: FakeAuthorizationServer, refreshToken: string, key?: DpopKey, nonce?: string) =>
  tokenCall(server, { grant_type: 'refresh_token', refresh_token: refreshToken }, key && (await proofFor(key, 'POST', TOKEN_URL, { nonce })));

async function apiCall(server: FakeAuthorizationServer, accessToken: string, key?: DpopKey, change: { scheme?: string; nonce?: string; proof?: string } = {}) {
  const headers: Record<string, string> = { authorization: `${change.scheme ?? 'DPoP'} ${accessToken}` };
  const proof = change.proof ?? (key && (await proofFor(key, 'GET', API_URL, { accessToken, nonce: change.nonce })));
  if (proof !== undefined) headers['dpop'] = proof;
  return server.handle(new Request(`${API_URL}?page=1`, { headers }));
}

describe('createFakeAuthorizationServer({ dpop })', () => {
  describe('the token endpoint', () => {
    it('answers a refresh with a proof with token_type DPoP, the access token bound to the key (cnf.jkt), and counts it', async () => {
      const key = await createDpopKey();
      const server = createFakeAuthorizationServer({ dpop: true });
      const { refreshToken } = server.signIn('alice', { jkt: key.thumbprint });

      const { response, body } = await refreshWith(server, refreshToken, key);

      expect(response.status).toBe(200);
      expect(body.token_type).toBe('DPoP');
      expect(decodeSegment(body.access_token?.split('.')[1])).toMatchObject({ sub: 'alice', cnf: { jkt: key.thumbprint } });
      expect(server.stats).toMatchObject({ refreshGrants: 1, dpopProofs: 1, dpopBoundTokens: 2, dpopInvalidProofs: 0 });
    });

    it('binds the refresh token: another key or no proof is invalid_grant and spends nothing (as oidc-provider)', async () => {
      const [key, other] = await Promise.all([createDpopKey(), createDpopKey()]);
      const server = createFakeAuthorizationServer({ dpop: { required: false } });
      const { refreshToken, tokenType } = server.signIn('alice', { jkt: key.thumbprint });

      const withOther = await refreshWith(server, refreshToken, other);
      const without = await refreshWith(server, refreshToken);
      const withKey = await refreshWith(server, refreshToken, key);

      expect(tokenType).toBe('DPoP');
      expect([withOther.body.error, without.body.error]).toEqual(['invalid_grant', 'invalid_grant']);
      expect(withKey.response.status).toBe(200);
      expect(server.stats).toMatchObject({ refreshGrants: 1, reuseDetected: 0, revokedFamilies: 0 });
    });

    it('binds an unbound family to the key of its first proof, as a code exchange with a proof would', async () => {
      const [key, other] = await Promise.all([createDpopKey(), createDpopKey()]);
      const server = createFakeAuthorizationServer({ dpop: true });
      const { refreshToken } = server.signIn();

      const first = await refreshWith(server, refreshToken, key);
      const stolen = await refreshWith(server, first.body.refresh_token ?? '', other);

      expect(first.body.token_type).toBe('DPoP');
      expect(stolen.body.error).toBe('invalid_grant');
    });

    it('required: a token request without a proof is invalid_dpop_proof; allowed: it gets a Bearer token', async () => {
      const required = createFakeAuthorizationServer({ dpop: true });
      const allowed = createFakeAuthorizationServer({ dpop: { required: false } });

      const refused = await tokenCall(required, { grant_type: 'client_credentials' });
      const bearer = await tokenCall(allowed, { grant_type: 'client_credentials' });
      const bound = await tokenCall(allowed, { grant_type: 'client_credentials' }, await proofFor(await createDpopKey(), 'POST', TOKEN_URL));

      expect(refused.body.error).toBe('invalid_dpop_proof');
      expect([bearer.body.token_type, bound.body.token_type]).toEqual(['Bearer', 'DPoP']);
    });

    it('refuses a proof that fails with 400 invalid_dpop_proof, saying why, and spends nothing', async () => {
      const key = await createDpopKey();
      const server = createFakeAuthorizationServer({ dpop: true });
      const { refreshToken } = server.signIn('alice', { jkt: key.thumbprint });

      const wrongUrl = await tokenCall(server, { grant_type: 'refresh_token', refresh_token: refreshToken }, await proofFor(key, 'POST', `${ORIGIN}/elsewhere`));
      const after = await refreshWith(server, refreshToken, key);

      expect(wrongUrl.response.status).toBe(400);
      expect(wrongUrl.body).toMatchObject({ error: 'invalid_dpop_proof', error_description: 'Invalid DPoP proof: htu is not the request URL' });
      expect(after.response.status).toBe(200);
      expect(server.stats).toMatchObject({ dpopProofs: 2, dpopInvalidProofs: 1 });
    });

    it('with nonces: 400 use_dpop_nonce with DPoP-Nonce before the refresh token is looked at; the nonce then works; a rotation challenges again', async () => {
      const key = await createDpopKey();
      const server = createFakeAuthorizationServer({ dpop: { nonces: true } });
      const { refreshToken } = server.signIn('alice', { jkt: key.thumbprint });

      const challenge = await refreshWith(server, refreshToken, key);
      const nonce = challenge.response.headers.get('dpop-nonce') ?? '';
      const granted = await refreshWith(server, refreshToken, key, nonce);
      server.rotateDpopNonces();
      const again = await refreshWith(server, granted.body.refresh_token ?? '', key, nonce);

      expect([challenge.response.status, challenge.body.error]).toEqual([400, 'use_dpop_nonce']);
      expect(nonce).not.toBe('');
      expect(granted.response.status).toBe(200);
      expect(granted.response.headers.get('dpop-nonce')).toBe(nonce);
      expect(again.body.error).toBe('use_dpop_nonce');
      expect(again.response.headers.get('dpop-nonce')).not.toBe(nonce);
      expect(server.stats).toMatchObject({ refreshGrants: 1, dpopNonceChallenges: 2, dpopProofs: 3 });
    });
  });

  describe('the API', () => {
    it('serves Authorization: DPoP with a proof carrying ath (query left out of htu)', async () => {
      const key = await createDpopKey();
      const server = createFakeAuthorizationServer({ dpop: true });
      const { accessToken } = server.signIn('alice', { jkt: key.thumbprint });

      const response = await apiCall(server, accessToken, key);

      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ sub: 'alice', path: '/api/orders' });
    });

    it.each([
      ['the bound token sent as Bearer', { scheme: 'Bearer' }, 'Bearer error="invalid_token"'],
      ['no proof', { noKey: true }, 'DPoP error="invalid_dpop_proof"'],
      ['a proof by another key', { otherKey: true }, 'DPoP error="invalid_dpop_proof"'],
      ['a proof without ath', { proofWithoutAth: true }, 'DPoP error="invalid_dpop_proof"'],
    ] as const)('refuses %s with a 401', async (_case, change: { scheme?: string; noKey?: boolean; otherKey?: boolean; proofWithoutAth?: boolean }, challenge) => {
      const [key, other] = await Promise.all([createDpopKey(), createDpopKey()]);
      const server = createFakeAuthorizationServer({ dpop: true });
      const { accessToken } = server.signIn('alice', { jkt: key.thumbprint });
      const proof = change.proofWithoutAth ? await proofFor(key, 'GET', API_URL) : undefined;

      const response = await apiCall(server, accessToken, change.noKey ? undefined : change.otherKey ? other : key, { scheme: change.scheme, proof });

      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toContain(challenge);
    });

    it('refuses a replayed proof', async () => {
      const key = await createDpopKey();
      const server = createFakeAuthorizationServer({ dpop: true });
      const { accessToken } = server.signIn('alice', { jkt: key.thumbprint });
      const proof = await proofFor(key, 'GET', API_URL, { accessToken });

      const statuses = [(await apiCall(server, accessToken, key, { proof })).status, (await apiCall(server, accessToken, key, { proof })).status];

      expect(statuses).toEqual([200, 401]);
    });

    it('answers an unknown, expired or unbound token sent as DPoP with DPoP error="invalid_token" (the client refreshes)', async () => {
      const key = await createDpopKey();
      const server = createFakeAuthorizationServer({ dpop: { required: false } });
      const unbound = server.signIn('bob').accessToken;

      const response = await apiCall(server, unbound, key);

      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_token"/);
      expect(server.stats.apiUnauthorized).toBe(1);
    });

    it('with nonces: 401 DPoP error="use_dpop_nonce" with its own nonce (not the authorization server\'s), then serves', async () => {
      const key = await createDpopKey();
      const server = createFakeAuthorizationServer({ dpop: { nonces: true } });
      const { accessToken, refreshToken } = server.signIn('alice', { jkt: key.thumbprint });
      const asNonce = (await refreshWith(server, refreshToken, key)).response.headers.get('dpop-nonce');

      const challenge = await apiCall(server, accessToken, key);
      const nonce = challenge.headers.get('dpop-nonce') ?? '';
      const served = await apiCall(server, accessToken, key, { nonce });

      expect(challenge.status).toBe(401);
      expect(challenge.headers.get('www-authenticate')).toMatch(/^DPoP error="use_dpop_nonce"/);
      expect(nonce).not.toBe(asNonce);
      expect(served.status).toBe(200);
      expect(served.headers.get('dpop-nonce')).toBe(nonce);
      expect(server.stats).toMatchObject({ dpopNonceChallenges: 2, apiUnauthorized: 0 });
    });

    it('verify() checks a DPoP request; authorize() says to use verify()', async () => {
      const key = await createDpopKey();
      const server = createFakeAuthorizationServer({ dpop: true });
      const { accessToken } = server.signIn('alice', { jkt: key.thumbprint });
      const request = new Request(API_URL, { headers: { authorization: `DPoP ${accessToken}`, dpop: await proofFor(key, 'GET', API_URL, { accessToken }) } });

      expect(() => server.authorize(request)).toThrow(/use verify\(request\)/);
      expect(await server.verify(request)).toMatchObject({ subject: 'alice' });
    });
  });

  it('throws a TypeError for signIn({ jkt }) or rotateDpopNonces() without dpop, and for a bad jkt', () => {
    const plain = createFakeAuthorizationServer();
    const dpop = createFakeAuthorizationServer({ dpop: true });

    expect(() => plain.signIn('a', { jkt: 'abc' })).toThrow(TypeError);
    expect(() => plain.rotateDpopNonces()).toThrow(TypeError);
    expect(() => dpop.signIn('a', { jkt: '' })).toThrow(TypeError);
  });

  it('ignores a DPoP header when DPoP is off (Bearer as before)', async () => {
    const server = createFakeAuthorizationServer();
    const { refreshToken } = server.signIn();

    const { body } = await refreshWith(server, refreshToken, await createDpopKey());

    expect(body.token_type).toBe('Bearer');
    expect(server.stats.dpopProofs).toBe(0);
  });
});
