import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { calculateJwkThumbprint, EmbeddedJWK, jwtVerify, type JWK } from 'jose';
import { firstValueFrom } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../lib/client/create-http-client.js';
import { dpopBinding } from '../../lib/dpop/dpop-binding.js';
import { createDpopKey, type DpopKey } from '../../lib/dpop/dpop-key.js';
import { oauth2RefreshGrant } from '../../lib/oauth2/oauth2-refresh-grant.js';
import { createTokenSession, type TokenSession } from '../../lib/session/create-token-session.js';
import type { TokenSet } from '../../lib/session/token-set.js';
import { outcomes } from '../helpers/outcomes.js';
import { CLIENTS, clientAuthentication, provider, useOidcProvider } from './oidc-provider-fixtures.js';

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
  /** Changes the nonce the server demands. */
  rotate(): void;
  close(): Promise<void>;
}

async function introspect(token: string): Promise<{ active: boolean; cnf?: { jkt?: string } }> {
  const auth = await clientAuthentication(provider, 'basic');
  const response = await fetch(`${provider.issuer}/token/introspection`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth.headers },
    body: new URLSearchParams({ token, ...auth.form }),
  });
  return (await response.json()) as { active: boolean; cnf?: { jkt?: string } };
}

async function startResourceServer(): Promise<ResourceServer> {
  let nonce = 'rs-nonce-1';
  let rotations = 1;
  const counts = { ok: 0, challenges: 0 };
  const refusals: string[] = [];
  const jtis = new Set<string>();
  let origin = '';
  const refuse = (reason: string, res: import('node:http').ServerResponse) => {
    refusals.push(reason);
    res.writeHead(401, { 'www-authenticate': `DPoP error="invalid_token", algs="ES256"` }).end();
  };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const token = /^DPoP (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const proof = req.headers.dpop;
      if (token === undefined || typeof proof !== 'string') return refuse(`no DPoP authorization or proof: ${req.headers.authorization?.split(' ')[0]}`, res);
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
      if (payload.nonce !== nonce) {
        counts.challenges++;
        return res.writeHead(401, { 'www-authenticate': 'DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"', 'dpop-nonce': nonce }).end();
      }
      const held = await introspect(token);
      if (!held.active) return refuse('token not active', res);
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
    rotate: () => {
      nonce = `rs-nonce-${++rotations}`;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('requests with a DPoP-bound token, to a resource server that verifies every proof', { timeout: 30_000 }, () => {
  useOidcProvider({ dpopNonces: true });
  let rs: ResourceServer;
  beforeAll(async () => {
    rs = await startResourceServer();
  });
  afterAll(() => rs.close());
  const sessions: TokenSession[] = [];
  afterEach(() => sessions.splice(0).forEach((s) => s.dispose()));

  async function signedInSession(key: DpopKey) {
    const tokens = await provider.signIn({ dpop: { privateKey: key.privateKey, publicJwk: key.publicJwk as JWK } });
    const signedIn: TokenSet = { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, expiresAt: Date.now() + tokens.expiresIn * 1000, tokenType: 'DPoP' };
    const dpop = dpopBinding({ key });
    const session = createTokenSession({ tokens: signedIn, refresh: oauth2RefreshGrant({ tokenUrl: provider.tokenUrl, clientId: CLIENTS.public.clientId, dpop }), dpop });
    sessions.push(session);
    const api = createHttpClient({ baseUrl: rs.url, session, retry: false, timeout: 10_000 });
    return { session, signedIn, api };
  }

  const refreshCalls = () => provider.calls({ grantType: 'refresh_token' });

  it("sends DPoP <token> with a proof; the resource server's nonce challenges are answered once per request and never refresh, also when it rotates its nonce mid-burst", async () => {
    const key = await createDpopKey();
    const { api } = await signedInSession(key);
    const grants = refreshCalls().length;
    const before = { ...rs.counts };

    // The first burst meets the nonce challenge (none known yet): each request sends once more, once.
    const first = await outcomes(Array.from({ length: 20 }, (_, i) => api.get(`/orders/${i}?page=1`)));
    expect(first.filter((r) => !r.ok)).toEqual([]);
    expect(rs.refusals).toEqual([]);
    expect(rs.counts.ok - before.ok).toBe(20);
    expect(rs.counts.challenges - before.challenges).toBeLessThanOrEqual(20);
    expect(rs.counts.challenges - before.challenges).toBeGreaterThanOrEqual(1);

    // The nonce is remembered: no challenge now. Then the server rotates it mid-burst: at most one retry each.
    const settled = { ...rs.counts };
    const second = api.get('/orders/again');
    await firstValueFrom(second);
    expect(rs.counts).toEqual({ ok: settled.ok + 1, challenges: settled.challenges });
    rs.rotate();
    const mid = { ...rs.counts };
    const third = await outcomes(Array.from({ length: 20 }, (_, i) => api.get(`/orders/rotated/${i}`)));
    expect(third.filter((r) => !r.ok)).toEqual([]);
    expect(rs.counts.ok - mid.ok).toBe(20);
    expect(rs.counts.challenges - mid.challenges).toBeLessThanOrEqual(20);
    // Never a refresh for a nonce challenge (rule 14); every proof unique.
    expect(refreshCalls().length).toBe(grants);
    expect(rs.jtis.size).toBeGreaterThanOrEqual(rs.counts.ok + rs.counts.challenges - before.ok - before.challenges);
  });

  it('after expiry a burst of 20 makes one refresh grant, and goes on with the new DPoP-bound token', async () => {
    const key = await createDpopKey();
    const { session, signedIn, api } = await signedInSession(key);
    await firstValueFrom(api.get('/warm-up')); // learns the resource server's nonce
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, signedIn.expiresAt! - Date.now()) + 100));
    const grants = refreshCalls().length;

    const results = await outcomes(Array.from({ length: 20 }, (_, i) => api.get(`/after-expiry/${i}`)));
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(rs.refusals).toEqual([]);
    expect(refreshCalls().slice(grants).filter((c) => c.status === 200)).toHaveLength(1);
    expect(refreshCalls().slice(grants).length).toBeLessThanOrEqual(2);
    const now = (await firstValueFrom(session.tokens$))!;
    expect(now).toMatchObject({ tokenType: 'DPoP' });
    expect((await introspect(now.accessToken!)).cnf?.jkt).toBe(key.thumbprint);
  });
});
