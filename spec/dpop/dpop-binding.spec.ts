import { createHash } from 'node:crypto';
import { EmbeddedJWK, jwtVerify } from 'jose';
import { defer, firstValueFrom, lastValueFrom, of, throwError } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { dpopBinding } from '../../lib/dpop/dpop-binding.js';
import { DpopKeyError } from '../../lib/dpop/dpop-key-error.js';
import { createDpopKey, type DpopKey } from '../../lib/dpop/dpop-key.js';
import { createDpopNonces } from '../../lib/dpop/dpop-nonces.js';
import { HttpError } from '../../lib/errors/request-error.js';
import { TokenRefreshError } from '../../lib/errors/token-refresh-error.js';
import { DpopProofError } from '../../lib/dpop/proof-refusal.js';
import { oauth2ClientCredentialsGrant } from '../../lib/oauth2/oauth2-client-credentials-grant.js';
import { oauth2RefreshGrant } from '../../lib/oauth2/oauth2-refresh-grant.js';
import { oauth2Revocation } from '../../lib/oauth2/oauth2-revocation.js';
import { privateKeyJwt } from '../../lib/oauth2/private-key-jwt.js';
import { createHttpClient } from '../../lib/client/create-http-client.js';
import { createTokenSession } from '../../lib/session/create-token-session.js';
import type { TokenSet } from '../../lib/session/token-set.js';

const TOKEN_URL = 'https://auth.example.test/oauth/token?tenant=1';
const REVOKE_URL = 'https://auth.example.test/oauth/revoke';

interface Seen {
  readonly url: string;
  readonly dpop: string | null;
  readonly form: Record<string, string>;
}

/** A fetch that answers each call with the next of `answers` (the last one again when they run out) and records what it got. */
function endpoint(...answers: (() => Response)[]): { fetch: typeof fetch; seen: Seen[] } {
  const seen: Seen[] = [];
  const fake = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    seen.push({ url: request.url, dpop: request.headers.get('dpop'), form: Object.fromEntries(new URLSearchParams(await request.text())) });
    return (answers[seen.length - 1] ?? answers.at(-1)!)();
  };
  return { fetch: fake as typeof fetch, seen };
}

const tokens = (headers: Record<string, string> = {}, tokenType = 'DPoP') => () =>
  Response.json({ access_token: 'at-1', refresh_token: 'rt-2', token_type: tokenType, expires_in: 60 }, { headers });
const challenge = (nonce: string | undefined) => () =>
  Response.json({ error: 'use_dpop_nonce', error_description: 'nonce required' }, { status: 400, headers: nonce === undefined ? {} : { 'dpop-nonce': nonce } });

/** Verifies a proof as a server would (RFC 9449 §4.3), with jose and the key in its own header. */
async function verified(proof: string | null, key: DpopKey) {
  expect(proof).toEqual(expect.any(String));
  const { payload, protectedHeader } = await jwtVerify(proof!, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: [key.algorithm], maxTokenAge: '60s' });
  expect(protectedHeader.jwk).toEqual(key.publicJwk);
  return payload;
}

describe('dpopBinding at the token endpoint (oauth2RefreshGrant)', () => {
  it('sends a fresh proof with the POST: htm POST, htu the endpoint without its query, no ath; the tokens come back as DPoP', async () => {
    const key = await createDpopKey();
    const { fetch, seen } = endpoint(tokens());
    const refresh = oauth2RefreshGrant({ tokenUrl: TOKEN_URL, clientId: 'web', dpop: dpopBinding({ key }), fetch });

    expect(await firstValueFrom(refresh('rt-1'))).toMatchObject({ accessToken: 'at-1', refreshToken: 'rt-2', tokenType: 'DPoP' });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.form).toEqual({ grant_type: 'refresh_token', refresh_token: 'rt-1', client_id: 'web' });
    const proof = await verified(seen[0]!.dpop, key);
    expect(proof).toMatchObject({ htm: 'POST', htu: 'https://auth.example.test/oauth/token' });
    expect(proof).not.toHaveProperty('ath');
    expect(proof).not.toHaveProperty('nonce');
  });

  it('answers a use_dpop_nonce challenge by sending once more with the nonce it brought, with a new proof', async () => {
    const key = await createDpopKey();
    const { fetch, seen } = endpoint(challenge('n-1'), tokens());
    const refresh = oauth2RefreshGrant({ tokenUrl: TOKEN_URL, clientId: 'web', dpop: dpopBinding({ key }), fetch });

    expect(await firstValueFrom(refresh('rt-1'))).toMatchObject({ accessToken: 'at-1', tokenType: 'DPoP' });
    expect(seen).toHaveLength(2);
    const [first, second] = [await verified(seen[0]!.dpop, key), await verified(seen[1]!.dpop, key)];
    expect(first).not.toHaveProperty('nonce');
    expect(second).toMatchObject({ nonce: 'n-1', htm: 'POST' });
    expect(second.jti).not.toBe(first.jti);
    expect(seen[1]!.form).toEqual(seen[0]!.form);
  });

  it('remembers the DPoP-Nonce of every answer for the next call: no challenge then', async () => {
    const key = await createDpopKey();
    const nonces = createDpopNonces();
    const { fetch, seen } = endpoint(tokens({ 'dpop-nonce': 'n-7' }), tokens());
    const refresh = oauth2RefreshGrant({ tokenUrl: TOKEN_URL, clientId: 'web', dpop: dpopBinding({ key, nonces }), fetch });

    await firstValueFrom(refresh('rt-1'));
    expect(nonces.nonceFor('authorization', TOKEN_URL)).toBe('n-7');
    await firstValueFrom(refresh('rt-2'));
    expect(await verified(seen[1]!.dpop, key)).toMatchObject({ nonce: 'n-7' });
  });

  it('makes a second challenge in a row the grant error (use_dpop_nonce), not a loop and not the end of the session', async () => {
    const key = await createDpopKey();
    const { fetch, seen } = endpoint(challenge('n-1'), challenge('n-2'), tokens());
    const refresh = oauth2RefreshGrant({ tokenUrl: TOKEN_URL, clientId: 'web', dpop: dpopBinding({ key }), fetch });

    const error = await firstValueFrom(refresh('rt-1')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenRefreshError);
    expect(error).toMatchObject({ reason: 'oauth-error', oauthError: 'use_dpop_nonce' });
    expect(seen).toHaveLength(2);
  });

  it('does not send again on a challenge that brings no new nonce: the same proof would be refused again', async () => {
    const key = await createDpopKey();
    for (const nonces of [undefined, 'n-1']) {
      const memory = createDpopNonces();
      if (nonces) memory.learn('authorization', TOKEN_URL, new Headers({ 'dpop-nonce': nonces }));
      const { fetch, seen } = endpoint(challenge(nonces), tokens());
      const refresh = oauth2RefreshGrant({ tokenUrl: TOKEN_URL, clientId: 'web', dpop: dpopBinding({ key, nonces: memory }), fetch });
      await expect(firstValueFrom(refresh('rt-1'))).rejects.toMatchObject({ oauthError: 'use_dpop_nonce' });
      expect(seen).toHaveLength(1);
    }
  });

  it('keeps token_type Bearer out of the token set (the server did not bind the token)', async () => {
    const key = await createDpopKey();
    const { fetch } = endpoint(tokens({}, 'Bearer'));
    const refresh = oauth2RefreshGrant({ tokenUrl: TOKEN_URL, clientId: 'web', dpop: dpopBinding({ key }), fetch });
    expect(await firstValueFrom(refresh('rt-1'))).not.toHaveProperty('tokenType');
  });

  it('sends nothing while the key cannot be had: the key store error is the grant error', async () => {
    const lost = new DpopKeyError('lost', 'no DPoP key "default" in IndexedDB "rx-token-http-dpop"');
    const { fetch, seen } = endpoint(tokens());
    const refresh = oauth2RefreshGrant({ tokenUrl: TOKEN_URL, clientId: 'web', dpop: dpopBinding({ key: Promise.reject(lost) }), fetch });

    await expect(firstValueFrom(refresh('rt-1'))).rejects.toBe(lost);
    await expect(firstValueFrom(refresh('rt-1'))).rejects.toBe(lost);
    expect(seen).toHaveLength(0);
  });

  it('takes the promise of a key (a key store load), and refuses what is no DpopKey with a TypeError, sending nothing', async () => {
    const key = await createDpopKey();
    const { fetch, seen } = endpoint(tokens());
    const promised = oauth2RefreshGrant({ tokenUrl: TOKEN_URL, clientId: 'web', dpop: dpopBinding({ key: Promise.resolve(key) }), fetch });
    await firstValueFrom(promised('rt-1'));
    await verified(seen[0]!.dpop, key);

    const wrong = oauth2RefreshGrant({ tokenUrl: TOKEN_URL, clientId: 'web', dpop: dpopBinding({ key: Promise.resolve({ privateKey: key.privateKey } as DpopKey) }), fetch });
    await expect(firstValueFrom(wrong('rt-1'))).rejects.toThrow(/dpopBinding: key must be a DpopKey/);
    expect(seen).toHaveLength(1);
  });

  it('makes a new client assertion for the send after a challenge (private_key_jwt): no jti twice', async () => {
    const key = await createDpopKey();
    const client = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
    const { fetch, seen } = endpoint(challenge('n-1'), tokens());
    const refresh = oauth2RefreshGrant({
      tokenUrl: TOKEN_URL,
      clientAuthentication: privateKeyJwt({ clientId: 'svc', key: client.privateKey, kid: 'k1' }),
      dpop: dpopBinding({ key }),
      fetch,
    });

    await firstValueFrom(refresh('rt-1'));
    const assertions = seen.map((s) => s.form.client_assertion);
    expect(assertions).toEqual([expect.any(String), expect.any(String)]);
    expect(assertions[0]).not.toBe(assertions[1]);
    expect(await verified(seen[1]!.dpop, key)).toMatchObject({ nonce: 'n-1' });
  });

  it('refuses an unusable config at once with a TypeError', async () => {
    const key = await createDpopKey();
    expect(() => dpopBinding(undefined as never)).toThrow(/dpopBinding: pass a config object/);
    expect(() => dpopBinding({} as never)).toThrow(/dpopBinding: key must be a DpopKey or a promise of one/);
    expect(() => dpopBinding({ key, nonces: {} as never })).toThrow(/dpopBinding: nonces must be a DpopNonces/);
    expect(() => dpopBinding({ key, now: 5 as never })).toThrow(/dpopBinding: now must be a function/);
  });
});

describe('dpopBinding at the other endpoints', () => {
  it('proves possession at the revocation endpoint too (htu the revocation URL), with the nonce challenge answered once', async () => {
    const key = await createDpopKey();
    const { fetch, seen } = endpoint(challenge('n-1'), () => new Response(null, { status: 200 }));
    const revoke = oauth2Revocation({ revocationUrl: REVOKE_URL, clientId: 'web', dpop: dpopBinding({ key }), fetch });

    await lastValueFrom(revoke('rt-1'));
    expect(seen).toHaveLength(2);
    expect(seen[1]!.form).toEqual({ token: 'rt-1', token_type_hint: 'refresh_token', client_id: 'web' });
    expect(await verified(seen[1]!.dpop, key)).toMatchObject({ htm: 'POST', htu: REVOKE_URL, nonce: 'n-1' });
  });

  it('binds a machine session token as well (oauth2ClientCredentialsGrant)', async () => {
    const key = await createDpopKey();
    const { fetch, seen } = endpoint(tokens());
    const grant = oauth2ClientCredentialsGrant({ tokenUrl: TOKEN_URL, clientId: 'svc', clientSecret: 'secret', dpop: dpopBinding({ key }), fetch });

    expect(await firstValueFrom(grant(''))).toMatchObject({ accessToken: 'at-1', tokenType: 'DPoP' });
    expect(await verified(seen[0]!.dpop, key)).toMatchObject({ htm: 'POST', htu: 'https://auth.example.test/oauth/token' });
  });
});

describe('dpopBinding for requests (sendWithProof, what the request path calls for a DPoP-bound token)', () => {
  const API = 'https://api.example.test/orders/7?page=2#top';
  const challenged = (nonce: string | undefined) =>
    Object.assign(new Error('401'), { status: 401, headers: new Headers({ 'www-authenticate': 'DPoP error="use_dpop_nonce"', ...(nonce ? { 'dpop-nonce': nonce } : {}) }) });

  /** A send that answers each attempt with the next outcome, and records the headers it got. */
  function sends(...outcomes: (Error | { headers: Headers })[]) {
    const seen: { authorization: string; dpop: string | undefined }[] = [];
    const send = (authorization: string, headers: Readonly<Record<string, string>>) =>
      defer(() => {
        seen.push({ authorization, dpop: headers.dpop });
        const outcome = outcomes[seen.length - 1] ?? outcomes.at(-1)!;
        return outcome instanceof Error ? throwError(() => outcome) : of(outcome);
      });
    return { send, seen };
  }

  it('sends DPoP <token> and a proof with ath, htm and htu (no query, no fragment)', async () => {
    const key = await createDpopKey();
    const { send, seen } = sends({ headers: new Headers() });
    await lastValueFrom(dpopBinding({ key }).sendWithProof('GET', API, 'at-1', send));

    expect(seen[0]!.authorization).toBe('DPoP at-1');
    const proof = await verified(seen[0]!.dpop ?? null, key);
    expect(proof).toMatchObject({ htm: 'GET', htu: 'https://api.example.test/orders/7', ath: createHash('sha256').update('at-1').digest('base64url') });
  });

  it("answers a resource server's use_dpop_nonce 401 once with its nonce; a second one in a row is the request's error", async () => {
    const key = await createDpopKey();
    const once = sends(challenged('r-1'), { headers: new Headers() });
    await lastValueFrom(dpopBinding({ key }).sendWithProof('GET', API, 'at-1', once.send));
    expect(once.seen).toHaveLength(2);
    expect(await verified(once.seen[1]!.dpop ?? null, key)).toMatchObject({ nonce: 'r-1' });

    const twice = sends(challenged('r-1'), challenged('r-2'), { headers: new Headers() });
    await expect(lastValueFrom(dpopBinding({ key }).sendWithProof('GET', API, 'at-1', twice.send))).rejects.toMatchObject({ status: 401 });
    expect(twice.seen).toHaveLength(2);
  });

  it('does not send again on a challenge without a new nonce, nor on another 401', async () => {
    const key = await createDpopKey();
    for (const answer of [challenged(undefined), Object.assign(new Error('401'), { status: 401, headers: new Headers({ 'www-authenticate': 'DPoP error="invalid_token"', 'dpop-nonce': 'r-9' }) })]) {
      const { send, seen } = sends(answer, { headers: new Headers() });
      await expect(lastValueFrom(dpopBinding({ key }).sendWithProof('GET', API, 'at-1', send))).rejects.toBe(answer);
      expect(seen).toHaveLength(1);
    }
  });

  it("keeps the resource server's nonces apart from the authorization server's, and learns them from successes too", async () => {
    const key = await createDpopKey();
    const binding = dpopBinding({ key });
    const { send, seen } = sends({ headers: new Headers({ 'dpop-nonce': 'r-5' }) });
    await lastValueFrom(binding.sendWithProof('GET', API, 'at-1', send));
    await lastValueFrom(binding.sendWithProof('POST', 'https://api.example.test/other', 'at-1', send));

    expect(binding.nonces.nonceFor('resource', API)).toBe('r-5');
    expect(binding.nonces.nonceFor('authorization', API)).toBeUndefined();
    expect(await verified(seen[1]!.dpop ?? null, key)).toMatchObject({ nonce: 'r-5', htm: 'POST' });
  });
});

describe('dpopBinding when the server refuses a proof (issue 23)', () => {
  const refused = (headers: Record<string, string> = {}) => () =>
    Response.json({ error: 'invalid_dpop_proof', error_description: 'DPoP proof iat is not recent enough' }, { status: 400, headers });
  const serverDate = (offsetMs: number) => new Date(Date.now() - offsetMs).toUTCString();

  it('fails the grant with a non-transient TokenRefreshError naming the clock (its cause a DpopProofError), sent once, the refresh token in no message', async () => {
    const key = await createDpopKey();
    const ahead = 600_000;
    const { fetch, seen } = endpoint(refused({ date: serverDate(0) }), tokens());
    const refresh = oauth2RefreshGrant({ tokenUrl: TOKEN_URL, clientId: 'web', dpop: dpopBinding({ key, now: () => Date.now() + ahead }), fetch });

    const error = (await firstValueFrom(refresh('rt-secret-123')).catch((e: unknown) => e)) as TokenRefreshError;
    expect(error).toBeInstanceOf(TokenRefreshError);
    expect(error).toMatchObject({ reason: 'oauth-error', oauthError: 'invalid_dpop_proof', transient: false });
    expect(error.cause).toBeInstanceOf(DpopProofError);
    expect((error.cause as DpopProofError).reason).toBe('clock-skew');
    expect(Math.abs((error.cause as DpopProofError).clockSkew! - 600)).toBeLessThanOrEqual(2);
    expect(error.message).toMatch(/this clock is (59\d|60\d) s ahead of the server's/);
    expect(error.message).not.toContain('rt-secret-123');
    expect(seen).toHaveLength(1);
  });

  it('names a refused proof with a right clock a configuration problem, not the clock', async () => {
    const key = await createDpopKey();
    const { fetch, seen } = endpoint(refused({ date: serverDate(0) }));
    const refresh = oauth2RefreshGrant({ tokenUrl: TOKEN_URL, clientId: 'web', dpop: dpopBinding({ key }), fetch });
    const error = (await firstValueFrom(refresh('rt-1')).catch((e: unknown) => e)) as TokenRefreshError;
    expect(error).toMatchObject({ oauthError: 'invalid_dpop_proof', cause: { reason: 'invalid-proof' } });
    expect(error.message).toContain('refused the DPoP proof (invalid_dpop_proof)');
    expect(seen).toHaveLength(1);
  });

  it('names a second challenge in a row as such (nonce-repeated), after exactly two sends', async () => {
    const key = await createDpopKey();
    const { fetch, seen } = endpoint(challenge('n-1'), challenge('n-2'), tokens());
    const refresh = oauth2RefreshGrant({ tokenUrl: TOKEN_URL, clientId: 'web', dpop: dpopBinding({ key }), fetch });
    const error = (await firstValueFrom(refresh('rt-1')).catch((e: unknown) => e)) as TokenRefreshError;
    expect(error.cause).toMatchObject({ reason: 'nonce-repeated' });
    expect(seen).toHaveLength(2);
  });

  it('keeps a machine session alive: a client credentials grant refused for its proof is a TokenRefreshError, not the TokenRevokedError of a refused client', async () => {
    const key = await createDpopKey();
    const { fetch, seen } = endpoint(refused({ date: serverDate(-600_000) }));
    const grant = oauth2ClientCredentialsGrant({ tokenUrl: TOKEN_URL, clientId: 'svc', clientSecret: 'client-secret-42', dpop: dpopBinding({ key }), fetch });
    const error = (await firstValueFrom(grant('')).catch((e: unknown) => e)) as TokenRefreshError;
    expect(error).toBeInstanceOf(TokenRefreshError);
    expect(error).toMatchObject({ reason: 'oauth-error', oauthError: 'invalid_dpop_proof', transient: false, cause: { reason: 'clock-skew' } });
    expect(error.message).not.toContain('client-secret-42');
    expect(seen).toHaveLength(1);
  });

  it("leaves a revocation's refusal its HttpError (the session ignores it)", async () => {
    const key = await createDpopKey();
    const { fetch, seen } = endpoint(refused({ date: serverDate(600_000) }));
    const revoke = oauth2Revocation({ revocationUrl: REVOKE_URL, clientId: 'web', dpop: dpopBinding({ key }), fetch });
    await expect(firstValueFrom(revoke('rt-1'))).rejects.toMatchObject({ name: 'HttpError', status: 400 });
    expect(seen).toHaveLength(1);
  });

  it('with requireBoundTokens, discards a Bearer answer (RFC 9449 §5); without it, the token is Bearer', async () => {
    const key = await createDpopKey();
    const strict = endpoint(tokens({}, 'Bearer'));
    const refresh = oauth2RefreshGrant({ tokenUrl: TOKEN_URL, clientId: 'web', dpop: dpopBinding({ key, requireBoundTokens: true }), fetch: strict.fetch });
    await expect(firstValueFrom(refresh('rt-1'))).rejects.toMatchObject({ name: 'TokenRefreshError', reason: 'invalid-response', transient: false });
    const bound = endpoint(tokens());
    const fine = oauth2RefreshGrant({ tokenUrl: TOKEN_URL, clientId: 'web', dpop: dpopBinding({ key, requireBoundTokens: true }), fetch: bound.fetch });
    expect(await firstValueFrom(fine('rt-1'))).toMatchObject({ tokenType: 'DPoP' });
  });

  describe('at a resource server (sendWithProof)', () => {
    const API = 'https://api.example.test/orders/7';
    const unauthorized = (challenge: string, headers: Record<string, string> = {}) =>
      new HttpError({ method: 'GET', url: API, status: 401, headers: new Headers({ 'www-authenticate': challenge, ...headers }) });

    function sends(...outcomes: Error[]) {
      let sent = 0;
      const send = () => defer(() => throwError(() => outcomes[sent++] ?? outcomes.at(-1)!));
      return { send, count: () => sent };
    }

    it("makes a 401 invalid_dpop_proof the request's DpopProofError (its cause the adapter's error), sent once, no token in it", async () => {
      const key = await createDpopKey();
      const answer = unauthorized('DPoP error="invalid_dpop_proof"', { date: serverDate(-600_000) });
      const { send, count } = sends(answer);
      const error = (await lastValueFrom(dpopBinding({ key }).sendWithProof('GET', API, 'at-secret-1', send)).catch((e: unknown) => e)) as DpopProofError;
      expect(error).toBeInstanceOf(DpopProofError);
      expect(error).toMatchObject({ reason: 'clock-skew', status: 401, cause: answer });
      expect(error.message).toMatch(/this clock is (59\d|60\d) s behind the server's/);
      expect(error.message).not.toContain('at-secret-1');
      expect(count()).toBe(1);
    });

    it('fails a request whose every answer brings a new nonce after its one retry, as nonce-repeated: no loop', async () => {
      const key = await createDpopKey();
      let n = 0;
      const send = () => defer(() => throwError(() => unauthorized('DPoP error="use_dpop_nonce"', { 'dpop-nonce': `r-${++n}` })));
      const error = await lastValueFrom(dpopBinding({ key }).sendWithProof('GET', API, 'at-1', send)).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'DpopProofError', reason: 'nonce-repeated', status: 401 });
      expect(n).toBe(2);
    });
  });
});

describe('a session with a binding whose token endpoint answers token_type Bearer (RFC 9449 §5, issue 23)', () => {
  const API = 'https://api.example.test';

  /** A session whose first token() refreshes (the token set expired), an API client, and what the API saw. */
  async function setUp(requireBoundTokens: boolean) {
    const key = await createDpopKey();
    const dpop = dpopBinding({ key, requireBoundTokens });
    const grant = endpoint(tokens({}, 'Bearer'));
    const session = createTokenSession({ tokens: { accessToken: 'at-0', refreshToken: 'rt-1', expiresAt: Date.now() - 1000, tokenType: 'DPoP' }, refresh: oauth2RefreshGrant({ tokenUrl: TOKEN_URL, clientId: 'web', dpop, fetch: grant.fetch }), dpop });
    const seen: { authorization: string | null; dpop: string | null }[] = [];
    const api = createHttpClient({
      baseUrl: API,
      session,
      retry: false,
      fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
        const request = new Request(input, init);
        seen.push({ authorization: request.headers.get('authorization'), dpop: request.headers.get('dpop') });
        return Response.json({ ok: true });
      }) as typeof fetch,
    });
    return { session, api, seen, grant };
  }

  it('by default the token is a Bearer token: sent as Bearer, without a proof', async () => {
    const { session, api, seen } = await setUp(false);
    await firstValueFrom(api.get('/orders'));
    expect(seen).toEqual([{ authorization: 'Bearer at-1', dpop: null }]);
    expect((await firstValueFrom(session.tokens$))?.tokenType).toBeUndefined();
    session.dispose();
  });

  it('with requireBoundTokens the grant fails (invalid-response, not transient) and nothing is sent with the unbound token', async () => {
    const { session, api, seen, grant } = await setUp(true);
    const error = await firstValueFrom(api.get('/orders')).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'TokenRefreshError', reason: 'invalid-response', transient: false });
    expect(seen).toEqual([]);
    expect(grant.seen).toHaveLength(1);
    expect(session.state.revoked).toBeFalsy();
    session.dispose();
  });
});

// Rule 15 (one key per session): the binding's own checks, which the session calls around a
// refresh, a revocation and a request of DPoP-bound tokens (spec/session/one-key-per-session.spec.ts).
describe('dpopBinding: one key per session (withKey, stamp, sendWithProof with the tokens thumbprint)', () => {
  const dpopTokens = (keyThumbprint?: string): TokenSet => ({ accessToken: 'at-1', refreshToken: 'rt-1', tokenType: 'DPoP', ...(keyThumbprint && { keyThumbprint }) });

  it('withKey calls with the key the tokens are bound to (or tokens of unknown key), and stamps the DPoP tokens it answers', async () => {
    const key = await createDpopKey();
    const binding = dpopBinding({ key });
    const answer = { accessToken: 'at-2', tokenType: 'DPoP' as const };
    expect(await lastValueFrom(binding.withKey(dpopTokens(key.thumbprint), () => of(answer)))).toEqual({ ...answer, keyThumbprint: key.thumbprint });
    expect(await lastValueFrom(binding.withKey(dpopTokens(), () => Promise.resolve(answer)))).toEqual({ ...answer, keyThumbprint: key.thumbprint });
    expect(await lastValueFrom(binding.withKey(null, () => of({ accessToken: 'bearer' })))).toEqual({ accessToken: 'bearer' });
    expect(await lastValueFrom(binding.withKey(dpopTokens(key.thumbprint), () => of(undefined)))).toBeUndefined();
  });

  it('withKey refuses tokens bound to another key with DpopKeyError `mismatch` naming both thumbprints, calling nothing', async () => {
    const [mine, theirs] = await Promise.all([createDpopKey(), createDpopKey()]);
    let called = 0;
    const error = await lastValueFrom(dpopBinding({ key: mine }).withKey(dpopTokens(theirs.thumbprint), () => (called++, of(1)))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DpopKeyError);
    expect(error).toMatchObject({ reason: 'mismatch', thumbprints: { key: mine.thumbprint, tokens: theirs.thumbprint } });
    expect((error as Error).message).toContain(mine.thumbprint);
    expect((error as Error).message).toContain(theirs.thumbprint);
    expect((error as Error).message).not.toContain('at-1');
    expect(called).toBe(0);
  });

  it('withKey fails with the key store error while the key cannot be had, calling nothing', async () => {
    const lost = new DpopKeyError('lost', 'no key');
    let called = 0;
    await expect(lastValueFrom(dpopBinding({ key: Promise.reject(lost) }).withKey(dpopTokens(), () => (called++, of(1))))).rejects.toBe(lost);
    expect(called).toBe(0);
  });

  it('stamp: DPoP tokens get the key thumbprint (at once for a key, once had for the promise of one); Bearer tokens pass; another key throws', async () => {
    const [mine, theirs] = await Promise.all([createDpopKey(), createDpopKey()]);
    expect(dpopBinding({ key: mine }).stamp(dpopTokens())).toEqual(dpopTokens(mine.thumbprint));
    expect(dpopBinding({ key: mine }).stamp(dpopTokens(mine.thumbprint))).toEqual(dpopTokens(mine.thumbprint));
    expect(dpopBinding({ key: mine }).stamp({ accessToken: 'b' })).toEqual({ accessToken: 'b' });
    expect(() => dpopBinding({ key: mine }).stamp(dpopTokens(theirs.thumbprint))).toThrow(expect.objectContaining({ name: 'DpopKeyError', reason: 'mismatch' }));

    const later = dpopBinding({ key: Promise.resolve(mine) });
    expect(later.stamp(dpopTokens())).toEqual(dpopTokens());
    await later.key();
    expect(later.stamp(dpopTokens())).toEqual(dpopTokens(mine.thumbprint));
  });

  it('sendWithProof with the tokens thumbprint: another key sends nothing (DpopKeyError `mismatch`), the same key sends', async () => {
    const [mine, theirs] = await Promise.all([createDpopKey(), createDpopKey()]);
    let sent = 0;
    const send = () => defer(() => (sent++, of({ headers: new Headers() })));
    await expect(lastValueFrom(dpopBinding({ key: mine }).sendWithProof('GET', 'https://api.example.test/', 'at-1', send, theirs.thumbprint))).rejects.toMatchObject({ name: 'DpopKeyError', reason: 'mismatch' });
    expect(sent).toBe(0);
    await lastValueFrom(dpopBinding({ key: mine }).sendWithProof('GET', 'https://api.example.test/', 'at-1', send, mine.thumbprint));
    expect(sent).toBe(1);
  });
});
