// The servers of spec/tabs/dpop-tabs.spec.ts besides oidc-provider: the app's origin, serving a
// page with dpop-page-harness.ts bundled in, and a resource server on a third origin (CORS with
// preflights) that verifies every DPoP proof with jose and demands its own nonce.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { calculateJwkThumbprint, EmbeddedJWK, jwtVerify, type JWK } from 'jose';
import type { Page } from 'playwright-core';
import type { DpopPageHarness } from './dpop-page-harness.js';

/** Serves `/` (the page) and `/bundle.js` (the library and the harness as `window.dpopTabs`). */
export async function startDpopPageServer(): Promise<{ readonly url: string; close(): Promise<void> }> {
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL('./dpop-page-harness.ts', import.meta.url))],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
    write: false,
    logLevel: 'silent',
  });
  const js = bundle.outputFiles[0]!.text;
  const html = '<!doctype html><meta charset="utf-8"><title>rx-token-http dpop tabs</title><script src="/bundle.js"></script>';
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/bundle.js') res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' }).end(js);
    else if (path === '/') res.writeHead(200, { 'content-type': 'text/html', 'cache-control': 'no-store' }).end(html);
    else res.writeHead(404).end();
  });
  return { url: await listen(server), close: () => stop(server) };
}

/** What the resource server saw: every proof verified, by key and token. */
export interface DpopResourceServer {
  readonly url: string;
  /** 200s, and nonce challenges (a proof without the current nonce: the client sends once more). */
  readonly counts: { ok: number; challenges: number };
  /** Requests refused, with the reason (a bad proof, a token not bound to the proof's key, …). */
  readonly refusals: string[];
  /** The RFC 7638 thumbprint of every proof's `jwk`. */
  readonly proofKeys: Set<string>;
  /** The `cnf.jkt` of every access token answered 200 (the provider's introspection). */
  readonly tokenKeys: Set<string>;
  /** The access tokens answered 200. */
  readonly accessTokens: Set<string>;
  close(): Promise<void>;
}

/**
 * A resource server that checks every proof with jose (signature, `typ`, ES256, `iat` within
 * 30 s, `htm`, `htu`, `ath`, a `jti` never seen before), demands its own nonce (401
 * `use_dpop_nonce`), and asks the provider (`introspect`) whether the token is active and bound
 * to the proof's key (`cnf.jkt`): once per token, its `exp` then checked on every request (one
 * introspection per request would slow bursts on a loaded machine past the tokens' life). CORS for
 * `appUrl` only.
 */
export async function startDpopResourceServer(
  appUrl: () => string,
  introspect: (token: string) => Promise<{ active: boolean; exp?: number; cnf?: { jkt?: string } }>,
): Promise<DpopResourceServer> {
  const introspected = new Map<string, ReturnType<typeof introspect>>();
  const nonce = 'rs-nonce-tabs';
  const seen: Omit<DpopResourceServer, 'url' | 'close'> = { counts: { ok: 0, challenges: 0 }, refusals: [], proofKeys: new Set(), tokenKeys: new Set(), accessTokens: new Set() };
  const jtis = new Set<string>();
  let origin = '';
  const answer = async (req: IncomingMessage, res: ServerResponse, cors: Record<string, string>): Promise<void> => {
    const refuse = (reason: string) => {
      seen.refusals.push(reason);
      res.writeHead(401, { ...cors, 'www-authenticate': 'DPoP error="invalid_token", algs="ES256"' }).end();
    };
    const token = /^DPoP (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const proof = req.headers.dpop;
    if (token === undefined || typeof proof !== 'string') return refuse(`no DPoP authorization or proof: ${req.headers.authorization?.split(' ')[0]}`);
    let payload: Record<string, unknown>;
    let thumbprint: string;
    try {
      const verified = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ['ES256'], maxTokenAge: '30s', clockTolerance: 5 });
      payload = verified.payload;
      thumbprint = await calculateJwkThumbprint(verified.protectedHeader.jwk as JWK);
    } catch (error) {
      return refuse(`proof: ${(error as Error).message}`);
    }
    seen.proofKeys.add(thumbprint);
    const path = (req.url ?? '/').split('?')[0];
    if (payload.htm !== req.method) return refuse('htm');
    if (payload.htu !== `${origin}${path}`) return refuse(`htu ${String(payload.htu)}`);
    if (payload.ath !== createHash('sha256').update(token).digest('base64url')) return refuse('ath');
    if (typeof payload.jti !== 'string' || jtis.has(payload.jti)) return refuse('jti replayed');
    jtis.add(payload.jti);
    if (payload.nonce !== nonce) {
      seen.counts.challenges++;
      res.writeHead(401, { ...cors, 'www-authenticate': 'DPoP error="use_dpop_nonce"', 'dpop-nonce': nonce }).end();
      return;
    }
    if (!introspected.has(token)) introspected.set(token, introspect(token));
    const held = await introspected.get(token)!;
    if (!held.active || held.exp === undefined || held.exp * 1000 <= Date.now()) return refuse('token not active');
    if (held.cnf?.jkt !== thumbprint) return refuse('cnf.jkt is not the proof key');
    seen.tokenKeys.add(held.cnf.jkt);
    seen.accessTokens.add(token);
    seen.counts.ok++;
    res.writeHead(200, { ...cors, 'content-type': 'application/json' }).end(JSON.stringify({ path }));
  };
  const server = createServer((req, res) => {
    const cors: Record<string, string> =
      req.headers.origin === appUrl() ? { 'access-control-allow-origin': appUrl(), vary: 'Origin', 'access-control-expose-headers': 'WWW-Authenticate, DPoP-Nonce' } : {};
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { ...cors, 'access-control-allow-methods': 'GET', 'access-control-allow-headers': 'Authorization, DPoP', 'access-control-max-age': '600' }).end();
      return;
    }
    answer(req, res, cors).catch((error: unknown) => {
      seen.refusals.push(`server: ${(error as Error).message}`);
      if (!res.headersSent) res.writeHead(500, cors).end();
    });
  });
  origin = await listen(server);
  return { url: origin, ...seen, close: () => stop(server) };
}

type Method = { [K in keyof DpopPageHarness]: DpopPageHarness[K] extends (...args: never[]) => unknown ? K : never }[keyof DpopPageHarness];

/** Calls the DPoP page harness (`window.dpopTabs`) in `page` and returns what it answered. */
export function dpopCall<K extends Method>(page: Page, method: K, ...args: Parameters<DpopPageHarness[K]>): Promise<Awaited<ReturnType<DpopPageHarness[K]>>> {
  return page.evaluate(
    ([name, values]) => {
      const harness = (globalThis as unknown as { dpopTabs: Record<string, (...a: unknown[]) => unknown> }).dpopTabs;
      return harness[name]!(...values);
    },
    [method as string, args as unknown[]] as const,
  ) as Promise<Awaited<ReturnType<DpopPageHarness[K]>>>;
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, backlog: 1024 }, () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

function stop(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
