import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { calculateJwkThumbprint, EmbeddedJWK, jwtVerify, type JWK } from 'jose';
import { firstValueFrom } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../lib/client/create-http-client.js';
import { dpopBinding } from '../../lib/dpop/dpop-binding.js';
import type { DpopProofError } from '../../lib/dpop/proof-refusal.js';
import { createDpopKey, type DpopKey } from '../../lib/dpop/dpop-key.js';
import { oauth2RefreshGrant } from '../../lib/oauth2/oauth2-refresh-grant.js';
import { createTokenSession, type TokenSession } from '../../lib/session/create-token-session.js';
import type { TokenSet } from '../../lib/session/token-set.js';
import { outcomes } from '../helpers/outcomes.js';
import { CLIENTS, introspect as introspectToken, provider, useOidcProvider } from './oidc-provider-fixtures.js';

/*
 * Issue 23, requests: a session's DPoP-bound tokens sent as `Authorization: DPoP <token>` with a
 * proof carrying `ath`, to a resource server of this spec that verifies every proof with jose
 * (signature, typ, htm, htu, iat window, unique jti, ath, the token's cnf.jkt through the
 * provider's introspection) and demands its own nonces, which it rotates when told.
 */

interface ResourceServer {
  readonly url: string;
  /** Answers: 200s, nonce challenges, and refusals with the reason. */
  readonly counts: { ok: number; challenges: number };
  readonly refusals: string[];
  /** Every jti seen (a proof replayed is refused). */
  readonly jtis: Set<string>;
  /** How many times each path arrived (every attempt, refused or not). */
  readonly attempts: Map<string, number>;
  /** Changes the nonce the server demands. */
  rotate(): void;
  /** Changes it when the `n`-th nonce check from now arrives (mid-burst), before checking that one. */
  rotateAt(n: number): void;
  /** While on, every answer is a nonce challenge with a nonce never seen before. */
  churn(on: boolean): void;
  close(): Promise<void>;
}

const introspect = (token: string) => introspectToken(provider, token);

async function startResourceServer(): Promise<ResourceServer> {
  let nonce = 'rs-nonce-1';
  let rotations = 1;
  let rotateCountdown = 0;
  let churning = false;
  const attempts = new Map<string, number>();
  const counts = { ok: 0, challenges: 0 };
  const refusals: string[] = [];
  const jtis = new Set<string>();
  let origin = '';
  // What the provider said of each token, until the token's exp: one introspection per token, as a
  // resource server caching them would, so that a burst is not 50 round trips to the provider.
  const held = new Map<string, Promise<{ active: boolean; exp?: number; cnf?: { jkt?: string } }>>();
  const introspected = async (token: string) => {
    const cached = await held.get(token);
    if (cached?.active && cached.exp !== undefined && cached.exp * 1000 > Date.now()) return cached;
    const asked = introspect(token);
    held.set(token, asked);
    return asked;
  };
  // RFC 9449 §7.1: a proof that fails is invalid_dpop_proof; a token that fails is invalid_token.
  const refuse = (reason: string, res: import('node:http').ServerResponse, error = 'invalid_dpop_proof') => {
    refusals.push(reason);
    res.writeHead(401, { 'www-authenticate': `DPoP error="${error}", algs="ES256"` }).end();
  };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const arrived = (req.url ?? '/').split('?')[0]!;
      attempts.set(arrived, (attempts.get(arrived) ?? 0) + 1);
      const token = /^DPoP (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const proof = req.headers.dpop;
      if (token === undefined || typeof proof !== 'string') return refuse(`no DPoP authorization or proof: ${req.headers.authorization?.split(' ')[0]}`, res, 'invalid_token');
      let payload: Record<string, unknown>;
      let jwk: JWK;
      try {
        const verified = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ['ES256'], maxTokenAge: '30s', clockTolerance: 5 });
        payload = verified.payload;
        jwk = verified.protectedHeader.jwk as JWK;
      } catch (error) {
        return refuse(`proof: ${(error as Error).message}`, res);
      }
      const path = (req.url ?? '/').split('?')[0];
      if (payload.htm !== req.method) return refuse('htm', res);
      if (payload.htu !== `${origin}${path}`) return refuse(`htu ${String(payload.htu)}`, res);
      if (payload.ath !== createHash('sha256').update(token).digest('base64url')) return refuse('ath', res);
      if (typeof payload.jti !== 'string' || jtis.has(payload.jti)) return refuse('jti replayed', res);
      jtis.add(payload.jti);
      if (rotateCountdown > 0 && --rotateCountdown === 0) nonce = `rs-nonce-${++rotations}`;
      if (churning) nonce = `rs-nonce-${++rotations}`;
      if (churning || payload.nonce !== nonce) {
        counts.challenges++;
        return res.writeHead(401, { 'www-authenticate': 'DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"', 'dpop-nonce': nonce }).end();
      }
      const held = await introspected(token);
      if (!held.active) return refuse('token not active', res, 'invalid_token');
      if (held.cnf?.jkt !== (await calculateJwkThumbprint(jwk))) return refuse('cnf.jkt is not the proof key', res);
      counts.ok++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path }));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: origin,
    counts,
    refusals,
    jtis,
    attempts,
    rotate: () => {
      nonce = `rs-nonce-${++rotations}`;
    },
    rotateAt: (n) => {
      rotateCountdown = n;
    },
    churn: (on) => {
      churning = on;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

let rs: ResourceServer;
beforeAll(async () => {
  rs = await startResourceServer();
});
afterAll(() => rs.close());
const sessions: TokenSession[] = [];
afterEach(() => sessions.splice(0).forEach((s) => s.dispose()));

async function signedInSession(key: DpopKey, now?: () => number) {
  const tokens = await provider.signIn({ dpop: { privateKey: key.privateKey, publicJwk: key.publicJwk as JWK } });
  const signedIn: TokenSet = { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, expiresAt: Date.now() + tokens.expiresIn * 1000, tokenType: 'DPoP' };
  const dpop = dpopBinding({ key, ...(now && { now }) });
  const session = createTokenSession({ tokens: signedIn, refresh: oauth2RefreshGrant({ tokenUrl: provider.tokenUrl, clientId: CLIENTS.public.clientId, dpop }), dpop });
  sessions.push(session);
  const api = createHttpClient({ baseUrl: rs.url, session, retry: false, timeout: 10_000 });
  return { session, signedIn, api };
}

const refreshCalls = () => provider.calls({ grantType: 'refresh_token' });
const BURST = 50;
/** The attempts the resource server saw for each of `paths`. */
const attemptsOf = (paths: string[]) => paths.map((path) => rs.attempts.get(path) ?? 0);
const paths = (name: string) => Array.from({ length: BURST }, (_, i) => `/${name}/${i}`);

/*
 * Access tokens of 60 s here: a burst of 50 on a loaded machine can outlive a 2 s token, and a
 * token that expires mid-burst is refreshed (rightly), which is not what these specs are about.
 */
describe('requests with a DPoP-bound token, to a resource server that verifies every proof and rotates its nonces', { timeout: 60_000 }, () => {
  useOidcProvider({ dpopNonces: true, accessTokenTtl: 60 });

  it("sends DPoP <token> with a proof; the resource server's nonce challenges are answered once per request and never refresh, also when it rotates its nonce mid-burst", async () => {
    const key = await createDpopKey();
    const { api } = await signedInSession(key);
    const grants = refreshCalls().length;
    const before = { ...rs.counts };
    const refused = rs.refusals.length;

    // The first burst meets the nonce challenge (none known yet): each request sends once more, once.
    const firstPaths = paths('orders');
    const first = await outcomes(firstPaths.map((path) => api.get(`${path}?page=1`)));
    expect(first.filter((r) => !r.ok)).toEqual([]);
    expect(rs.refusals.slice(refused)).toEqual([]);
    expect(rs.counts.ok - before.ok).toBe(BURST);
    expect(rs.counts.challenges - before.challenges).toBeLessThanOrEqual(BURST);
    expect(rs.counts.challenges - before.challenges).toBeGreaterThanOrEqual(1);
    expect(Math.max(...attemptsOf(firstPaths))).toBeLessThanOrEqual(2);

    // The nonce is remembered: no challenge now. Then the server rotates it in the middle of a burst
    // (at the 25th request's check): the later ones are challenged, each retries once, all succeed.
    const settled = { ...rs.counts };
    await firstValueFrom(api.get('/orders/again'));
    expect(rs.counts).toEqual({ ok: settled.ok + 1, challenges: settled.challenges });
    rs.rotateAt(BURST / 2);
    const mid = { ...rs.counts };
    const rotatedPaths = paths('orders/rotated');
    const third = await outcomes(rotatedPaths.map((path) => api.get(path)));
    expect(third.filter((r) => !r.ok)).toEqual([]);
    expect(rs.counts.ok - mid.ok).toBe(BURST);
    expect(rs.counts.challenges - mid.challenges).toBeGreaterThanOrEqual(1);
    expect(rs.counts.challenges - mid.challenges).toBeLessThanOrEqual(BURST);
    expect(attemptsOf(rotatedPaths).every((n) => n === 1 || n === 2)).toBe(true);
    // Never a refresh for a nonce challenge (rule 14); every proof valid (no refusal) and unique (a jti replayed is refused).
    expect(refreshCalls().length).toBe(grants);
    expect(rs.refusals.slice(refused)).toEqual([]);
    expect(rs.jtis.size).toBeGreaterThanOrEqual(rs.counts.ok + rs.counts.challenges - before.ok - before.challenges);
  });

  it('a nonce that changes on every answer for a whole burst: each request fails after its one retry with DpopProofError (nonce-repeated); no loop, no refresh', async () => {
    const key = await createDpopKey();
    const { session, api } = await signedInSession(key);
    const grants = refreshCalls().length;
    rs.churn(true);
    try {
      const churnPaths = paths('churn');
      const results = await outcomes(churnPaths.map((path) => api.get(path)));
      expect(results.map((r) => (r.ok ? 'ok' : r.name))).toEqual(Array(BURST).fill('DpopProofError'));
      for (const r of results) expect(r.ok ? undefined : r.error).toMatchObject({ reason: 'nonce-repeated', status: 401 });
      expect(attemptsOf(churnPaths)).toEqual(Array(BURST).fill(2));
    } finally {
      rs.churn(false);
    }
    expect(refreshCalls().length).toBe(grants);
    expect(session.state.revoked).toBeFalsy();
    // The server calms down: the next request works, with the nonce of its last answer.
    await firstValueFrom(api.get('/after-churn'));
  });

  it("a client clock 10 min ahead: the resource server's invalid_dpop_proof is DpopProofError naming the clock, sent once, no refresh", async () => {
    const key = await createDpopKey();
    const { session, api } = await signedInSession(key, () => Date.now() + 600_000);
    const grants = refreshCalls().length;
    const refused = rs.refusals.length;

    const [result] = await outcomes([api.get('/skewed')]);
    expect(result).toMatchObject({ ok: false, name: 'DpopProofError', error: { reason: 'clock-skew', status: 401 } });
    const error = (result as { error: DpopProofError }).error;
    expect(Math.abs(error.clockSkew! - 600)).toBeLessThanOrEqual(3);
    expect(error.message).toMatch(/The resource server of GET .*\/skewed refused the DPoP proof \(invalid_dpop_proof\): this clock is (59\d|60\d) s ahead/);
    expect(rs.attempts.get('/skewed')).toBe(1);
    expect(rs.refusals.slice(refused)).toEqual([expect.stringMatching(/^proof: .*iat/)]);
    rs.refusals.splice(refused); // this spec's refusal was the point
    expect(refreshCalls().length).toBe(grants);
    expect(session.state.revoked).toBeFalsy();
  });
});

describe('a burst of requests with a DPoP-bound token after expiry (2 s access tokens)', { timeout: 60_000 }, () => {
  useOidcProvider({ dpopNonces: true });

  it('after expiry a burst of 50 makes one refresh grant (one nonce challenge before it at most), 50 of 50 ok, and goes on with the new DPoP-bound tokens', async () => {
    const key = await createDpopKey();
    const { session, signedIn, api } = await signedInSession(key);
    await firstValueFrom(api.get('/warm-up')); // learns the resource server's nonce
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, signedIn.expiresAt! - Date.now()) + 100));
    const grants = refreshCalls().length;
    const refused = rs.refusals.length;
    const jtis = rs.jtis.size;
    const before = { ...rs.counts };

    const burstPaths = paths('after-expiry');
    const results = await outcomes(burstPaths.map((path) => api.get(path)));
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(rs.counts.ok - before.ok).toBe(BURST);
    // Every proof valid and unique: none refused, one jti per attempt.
    expect(rs.refusals.slice(refused)).toEqual([]);
    expect(rs.jtis.size - jtis).toBe(rs.counts.ok + rs.counts.challenges - before.ok - before.challenges);
    // One successful grant; a use_dpop_nonce before it is allowed and counted apart.
    const calls = refreshCalls().slice(grants).map((c) => [c.status, c.error ?? null]);
    expect(calls.filter(([status]) => status === 200)).toHaveLength(1);
    expect(calls.filter(([status]) => status !== 200)).toEqual(calls.length === 2 ? [[400, 'use_dpop_nonce']] : []);
    // The refresh token rotated, still bound to the same key; the grant alive.
    const now = (await firstValueFrom(session.tokens$))!;
    expect(now).toMatchObject({ tokenType: 'DPoP' });
    expect((await introspect(now.accessToken!)).cnf?.jkt).toBe(key.thumbprint);
    expect(now.refreshToken).not.toBe(signedIn.refreshToken);
    expect(await provider.boundKey(now.refreshToken!, 'RefreshToken')).toBe(key.thumbprint);
    expect(await provider.isActive(now.refreshToken!, 'RefreshToken')).toBe(true);
    expect(await provider.isActive(signedIn.refreshToken!, 'RefreshToken')).toBe(false);
  });
});
