import type { JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { createDpopKey, type DpopKey } from '../../lib/dpop/dpop-key.js';
import { createDpopNonces, type DpopNonces } from '../../lib/dpop/dpop-nonces.js';
import { createDpopProof } from '../../lib/dpop/dpop-proof.js';
import { isNonceChallenge } from '../../lib/dpop/nonce-challenge.js';
import { CLIENTS, introspect as introspectToken, provider, useOidcProvider } from './oidc-provider-fixtures.js';

/*
 * Issue 23, before the wiring: the library's DPoP keys, proofs and nonce memory, with a few lines
 * of plain fetch, against oidc-provider with DPoP and nonces required. If the provider binds the
 * tokens to our key's thumbprint and refuses another key, the blocks are right.
 */
describe('the DPoP building blocks against oidc-provider (nonces required)', { timeout: 30_000 }, () => {
  useOidcProvider({ dpopNonces: true });

  interface Answer {
    readonly status: number;
    readonly body: { access_token?: string; refresh_token?: string; token_type?: string; error?: string };
    readonly challenge: boolean;
  }

  /** One refresh_token grant with a fresh proof of `key`, carrying the nonce the memory knows. */
  async function refreshGrant(key: DpopKey, nonces: DpopNonces, refreshToken: string): Promise<Answer> {
    const url = provider.tokenUrl;
    const clientId = CLIENTS.public.clientId;
    // docs/dpop.md shows the lines from here to `challenge`.
    const proof = await createDpopProof(key, { method: 'POST', url, nonce: nonces.nonceFor('authorization', url) });
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: proof },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId }),
    });
    nonces.learn('authorization', url, response.headers);
    const body = (await response.json()) as { error?: string };
    const challenge = isNonceChallenge({ status: response.status, headers: response.headers, oauthError: body.error });
    return { status: response.status, body: body as Answer['body'], challenge };
  }

  /** The grant, sent once more when the answer is a nonce challenge (and only once). */
  async function refreshOnce(key: DpopKey, nonces: DpopNonces, refreshToken: string): Promise<Answer[]> {
    const first = await refreshGrant(key, nonces, refreshToken);
    return first.challenge ? [first, await refreshGrant(key, nonces, refreshToken)] : [first];
  }

  const introspect = (token: string) => introspectToken(provider, token);

  const signInWith = (key: DpopKey) => provider.signIn({ dpop: { privateKey: key.privateKey, publicJwk: key.publicJwk as JWK } });

  it('gets a DPoP-bound token through the refresh_token grant, cnf.jkt = our thumbprint, after one nonce challenge', async () => {
    const key = await createDpopKey();
    const tokens = await signInWith(key);
    expect(tokens.tokenType).toBe('DPoP');
    const calls = provider.calls({ grantType: 'refresh_token' }).length;

    const nonces = createDpopNonces();
    const answers = await refreshOnce(key, nonces, tokens.refreshToken);

    // The first proof had no nonce: a challenge (400 use_dpop_nonce, with a DPoP-Nonce header), not a rejection.
    expect(answers).toHaveLength(2);
    expect(answers[0]).toMatchObject({ status: 400, challenge: true, body: { error: 'use_dpop_nonce' } });
    expect(nonces.nonceFor('authorization', provider.tokenUrl)).toEqual(expect.any(String));
    const answer = answers[1]!;
    expect(answer).toMatchObject({ status: 200, challenge: false, body: { token_type: 'DPoP', access_token: expect.any(String), refresh_token: expect.any(String) } });
    expect(provider.calls({ grantType: 'refresh_token' }).slice(calls).map((c) => [c.status, c.error, c.dpop])).toEqual([
      [400, 'use_dpop_nonce', true],
      [200, undefined, true],
    ]);

    // Bound to our key: the access token's cnf.jkt is our thumbprint; the refresh token rotated, the old one is spent.
    expect(await introspect(answer.body.access_token!)).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt: key.thumbprint } });
    expect(answer.body.refresh_token).not.toBe(tokens.refreshToken);
    expect(await provider.isActive(tokens.refreshToken, 'RefreshToken')).toBe(false);
    expect(await provider.isActive(answer.body.refresh_token!, 'RefreshToken')).toBe(true);

    // The nonce learned is used by the next grant: no challenge this time, and the binding holds.
    const next = await refreshOnce(key, nonces, answer.body.refresh_token!);
    expect(next).toHaveLength(1);
    expect(next[0]).toMatchObject({ status: 200, body: { token_type: 'DPoP' } });
    expect((await introspect(next[0]!.body.access_token!)).cnf?.jkt).toBe(key.thumbprint);
  });

  it('refuses a refresh whose proof is made with another key, or that has none (invalid_grant, as for every refusal)', async () => {
    const key = await createDpopKey();
    const other = await createDpopKey();
    const tokens = await signInWith(key);

    const nonces = createDpopNonces();
    const answers = await refreshOnce(other, nonces, tokens.refreshToken);

    expect(answers.at(-1)).toMatchObject({ status: 400, challenge: false, body: { error: 'invalid_grant' } });
    expect(provider.calls({ grantType: 'refresh_token' }).at(-1)).toMatchObject({ status: 400, error: 'invalid_grant', dpop: true });
    // Without a proof: the same invalid_grant that a spent or revoked token gets. A client that took it
    // for the end of the session would end it itself (rule 15: never send a refresh without the proof).
    const bare = await fetch(provider.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refreshToken, client_id: CLIENTS.public.clientId }),
    });
    expect(bare.status).toBe(400);
    expect(await bare.json()).toEqual({ error: 'invalid_grant', error_description: 'grant request is invalid' });
    // A proof of the right key still refreshes: neither refusal spent the refresh token.
    const own = await refreshOnce(key, nonces, tokens.refreshToken);
    expect(own.at(-1)).toMatchObject({ status: 200, body: { token_type: 'DPoP' } });
    expect((await introspect(own.at(-1)!.body.access_token!)).cnf?.jkt).toBe(key.thumbprint);
  });
});
