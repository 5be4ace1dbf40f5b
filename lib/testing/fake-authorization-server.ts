import { withCors } from './fake-server/cors.js';
import { createDpopGuard } from './fake-server/dpop-guard.js';
import { createFaultQueue } from './fake-server/fault-queue.js';
import { resolveConfig, type FakeAuthorizationServerConfig } from './fake-server/fake-server-config.js';
import { emptyStats, type FakeAuthorizationServerStats } from './fake-server/fake-server-stats.js';
import type { FakeUser } from './fake-server/fake-user.js';
import { createProtectedApi } from './fake-server/protected-api.js';
import { json } from './fake-server/responses.js';
import { createRevocationEndpoint } from './fake-server/revocation-endpoint.js';
import { createTokenEndpoint } from './fake-server/token-endpoint.js';
import type { FakeFaultOptions, FakeRevocationFault, FakeTokenFault } from './fake-server/token-faults.js';
import { createTokenLedger, type IssuedTokens, type SignInOptions } from './fake-server/token-ledger.js';

export type { FakeAuthorizationServerConfig, FakeDpopConfig } from './fake-server/fake-server-config.js';
export type { FakeAuthorizationServerStats } from './fake-server/fake-server-stats.js';
export type { FakeApiHandler, FakeUser } from './fake-server/fake-user.js';
export {
  FakeNetworkFault,
  type FakeFaultOptions,
  type FakeRevocationFault,
  type FakeTokenFault,
} from './fake-server/token-faults.js';
export type { IssuedTokens, SignInOptions } from './fake-server/token-ledger.js';

/** An in-memory OAuth2 authorization server plus protected API that speaks Fetch `Request`/`Response`. */
export interface FakeAuthorizationServer {
  /**
   * Handles a Fetch API Request for the token endpoint, the revocation endpoint or the API; any other
   * path → 404 JSON. Rejects with {@link FakeNetworkFault} when a network failure is scripted, and with
   * the signal's abort reason when the request is aborted while the server is waiting.
   */
  handle(request: Request): Promise<Response>;
  /**
   * The protected API's token check alone, for serving your own API data from your own msw handler: the
   * {@link FakeUser} the request's Bearer token belongs to, or the 401 `Response` the API would send
   * (`WWW-Authenticate: Bearer error="invalid_token"`) when the token is missing, unknown, expired or
   * revoked. Synchronous, no delay; counts one API request in `stats` (and a 401 in `apiUnauthorized`).
   * To serve your data from `handle` itself (and so from `createOAuth2Handlers` and the node server),
   * pass `api` in the config instead. A `DPoP` request throws a TypeError: its proof is checked by
   * {@link verify}, which takes a promise.
   *
   * @example
   * server.use(
   *   http.get('https://api.example.test/v1/profile', ({ request }) => {
   *     const user = fake.authorize(request);
   *     if (user instanceof Response) return user; // 401, so the client refreshes and retries
   *     return HttpResponse.json({ name: user.subject });
   *   }),
   * );
   */
  authorize(request: Request): FakeUser | Response;
  /**
   * {@link authorize} for Bearer and DPoP requests alike: with `dpop` in the config, a request with
   * `Authorization: DPoP <token>` has its proof checked (signature by its `jwk`, `typ`, `htm`, `htu`,
   * `iat`, unique `jti`, `ath` of the token, the key the token is bound to, the nonce when nonces are
   * on), and gets the API's 401 (`invalid_token`, `invalid_dpop_proof`, `use_dpop_nonce`) otherwise.
   *
   * @example
   * http.get('https://api.example.test/v1/profile', async ({ request }) => {
   *   const user = await fake.verify(request);
   *   return user instanceof Response ? user : HttpResponse.json({ name: user.subject });
   * });
   */
  verify(request: Request): Promise<FakeUser | Response>;
  /**
   * Starts a new token family, as a sign-in would. `subject` becomes the `sub` claim. With `jkt` (the
   * client's `DpopKey.thumbprint`; needs `dpop` in the config) the tokens are bound to that key, as a
   * code exchange with its proof binds them, and the answer has `tokenType: 'DPoP'`.
   */
  signIn(subject?: string, options?: SignInOptions): IssuedTokens;
  /**
   * New DPoP nonces, the authorization server's and the API's (with `dpop: { nonces: true }`): the next
   * proof carrying an old one gets a `use_dpop_nonce` challenge with the new one. Throws a TypeError
   * when DPoP is off.
   */
  rotateDpopNonces(): void;
  /** Revokes every family (e.g. a password change): all access and refresh tokens stop working. */
  revokeAll(): void;
  /** Makes every access token issued so far expired now (server side), without touching refresh tokens. */
  expireAccessTokens(): void;
  /**
   * Scripts the next `count` token-endpoint requests (after any already scripted) to misbehave with
   * `kind`; `Infinity` scripts every later one, until {@link clearFaults}. Throws `RangeError` for a
   * negative or fractional count.
   *
   * @example
   * fake.failTokenRequests(Infinity, 'hang'); // a token endpoint that never answers
   * fake.failTokenRequests(1, 'redirect', { location: 'https://evil.example/steal' });
   */
  failTokenRequests(count: number, kind: FakeTokenFault, options?: FakeFaultOptions): void;
  /** Like {@link failTokenRequests}, for the revocation endpoint. */
  failRevocationRequests(count: number, kind: FakeRevocationFault, options?: FakeFaultOptions): void;
  /** Drops every scripted fault, of both endpoints, not yet taken. */
  clearFaults(): void;
  /** Every refresh token ever issued, newest last (a snapshot; lets tests assert a client stores the newest). */
  readonly issuedRefreshTokens: readonly string[];
  /** A snapshot of the counters. */
  readonly stats: FakeAuthorizationServerStats;
  /** Sets every counter back to zero. */
  resetStats(): void;
}

/**
 * Creates a fake OAuth2 authorization server (refresh-token grant with rotation and reuse detection, the
 * client credentials grant for machine sessions, RFC 7009 revocation) and a Bearer-protected API, as one pure model over Fetch `Request`/`Response`. It knows
 * nothing about any client: mount it with `createOAuth2Handlers` (msw) or `startOAuth2Server` (`node:http`).
 *
 * Each token-endpoint decision is synchronous once the body is read and the delay has passed, so
 * concurrent refreshes with one refresh token see consistent rotation: the first wins, the rest are reuse.
 * API routes, all requiring a valid Bearer token unless noted: `<apiPrefix>dpop` → 401 DPoP nonce
 * challenge (no token needed); then your `api` handler if you gave one; then `<apiPrefix>forbidden` → 403,
 * `<apiPrefix>status/<code>` → that status, anything else → 200 `{ ok, method, path, sub, body? }`.
 *
 * @example
 * const server = createFakeAuthorizationServer({ accessTokenTtl: 1_000 });
 * const { accessToken, refreshToken } = server.signIn();
 * const res = await server.handle(new Request('http://x.test/oauth/token', {
 *   method: 'POST',
 *   body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
 * }));
 * await res.json(); // { access_token: 'eyJ…', token_type: 'Bearer', expires_in: 1, refresh_token: '…' }
 *
 * @example
 * // Your own data behind the token check, through createOAuth2Handlers or startOAuth2Server:
 * const fake = createFakeAuthorizationServer({
 *   api: (request, user) => new URL(request.url).pathname === '/api/me' ? { name: user.subject } : undefined,
 * });
 */
export function createFakeAuthorizationServer(config: FakeAuthorizationServerConfig = {}): FakeAuthorizationServer {
  const options = resolveConfig(config);
  const stats = emptyStats();
  const ledger = createTokenLedger(options, stats);
  const tokenFaults = createFaultQueue();
  const revocationFaults = createFaultQueue();
  const dpop = createDpopGuard(options, stats);
  const tokenEndpoint = createTokenEndpoint({ options, ledger, stats, faults: tokenFaults, dpop });
  const revocationEndpoint = createRevocationEndpoint({ options, ledger, stats, faults: revocationFaults });
  const api = createProtectedApi({ options, ledger, stats, dpop });

  const route = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    if (url.pathname === options.tokenPath) return tokenEndpoint(request);
    if (url.pathname === options.revocationPath) return revocationEndpoint(request);
    if (url.pathname.startsWith(options.apiPrefix)) return api.handle(request, url);
    return json(404, { error: 'not_found', path: url.pathname });
  };

  return {
    handle: (request) => (options.cors ? withCors(request, route) : route(request)),
    authorize: (request) => api.authorize(request),
    verify: (request) => api.verify(request),
    signIn(subject, signInOptions) {
      const jkt: unknown = signInOptions?.jkt;
      if (jkt !== undefined && (dpop === undefined || typeof jkt !== 'string' || jkt === '')) {
        throw new TypeError('signIn: jkt must be a key thumbprint (DpopKey.thumbprint), on a fake with dpop in its config');
      }
      return ledger.signIn(subject, signInOptions);
    },
    rotateDpopNonces() {
      if (dpop === undefined) throw new TypeError('rotateDpopNonces: this fake has no dpop in its config');
      dpop.rotateNonces();
    },
    revokeAll: () => ledger.revokeAll(),
    expireAccessTokens: () => ledger.expireAccessTokens(),
    failTokenRequests: (count, kind, faultOptions) => tokenFaults.add(count, kind, faultOptions),
    failRevocationRequests: (count, kind, faultOptions) => revocationFaults.add(count, kind, faultOptions),
    clearFaults() {
      tokenFaults.clear();
      revocationFaults.clear();
    },
    get issuedRefreshTokens() {
      return ledger.issuedRefreshTokens;
    },
    get stats() {
      return { ...stats };
    },
    resetStats() {
      Object.assign(stats, emptyStats());
    },
  };
}
