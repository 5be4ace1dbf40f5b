import type { FakeApiHandler, FakeUser } from './fake-user.js';

/** Configuration for `createFakeAuthorizationServer`. Every field is optional. */
export interface FakeAuthorizationServerConfig {
  /** Path of the token endpoint (`POST`, form-encoded). @default '/oauth/token' */
  tokenPath?: string;
  /**
   * Path of the token revocation endpoint (RFC 7009: `POST`, form-encoded `token`), or `false` for none
   * (the path then answers 404).
   * @default '/oauth/revoke'
   */
  revocationPath?: string | false;
  /** Every path starting with this prefix is a protected API route. Must start and end with `/`. @default '/api/' */
  apiPrefix?: string;
  /** Lifetime of an access token, in milliseconds. @default 60_000 */
  accessTokenTtl?: number;
  /** Every refresh answers with a new refresh token and retires the one presented. @default true */
  rotateRefreshTokens?: boolean;
  /**
   * Presenting a retired refresh token revokes its whole family, access tokens included, and answers
   * `invalid_grant` ([RFC 9700 §4.14.2](https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2)).
   * @default true
   */
  reuseDetection?: boolean;
  /** When set, token requests must carry this `client_id` (form field or HTTP Basic). @default undefined */
  clientId?: string;
  /** When set, token requests must carry this `client_secret` (form field or HTTP Basic). @default undefined */
  clientSecret?: string;
  /**
   * Public JWKs (each with its `kid`) of the `clientId` client authenticating with `private_key_jwt`
   * (RFC 7523): a token request may then carry a client assertion instead of a secret, and is
   * refused with `invalid_client` unless it is signed by one of these keys, from `iss` = `sub` =
   * `clientId`, for `aud` the token endpoint URL or the server's origin, unexpired (at most 600 s
   * ahead), with a `jti` not seen before. The token endpoint only. @default undefined
   */
  clientJwks?: readonly JsonWebKey[];
  /** The clock that decides access-token expiry, in epoch milliseconds. @default Date.now */
  now?: () => number;
  /** Milliseconds (real timers) the token endpoint waits before it decides and answers. @default 0 */
  tokenDelay?: number;
  /** Milliseconds every API response waits; a request may override it with `?delay=<ms>`. @default 0 */
  apiDelay?: number;
  /**
   * Your own API data behind the fake's token check: called for each API request whose Bearer token is
   * valid, with the request and the {@link FakeUser} the token belongs to. Return a `Response`, any other
   * value (sent as 200 JSON), or `undefined` for the built-in routes. Requests with a missing, unknown,
   * expired or revoked token never reach it: they get 401 `Bearer error="invalid_token"`.
   * @default undefined (the built-in routes answer everything)
   * @example
   * const fake = createFakeAuthorizationServer({
   *   api: (request, user) => new URL(request.url).pathname === '/api/me' ? { name: user.subject } : undefined,
   * });
   */
  api?: FakeApiHandler;
  /**
   * Answers CORS preflights and adds `Access-Control-Allow-Origin` (any origin, no credentials) to every
   * answer to a request with an `Origin`, for browser tests whose page is on another origin.
   * @default false
   */
  cors?: boolean;
  /**
   * DPoP (RFC 9449): `true` or a {@link FakeDpopConfig} turns it on. The token endpoint then checks the
   * proof of every token request that carries one (`invalid_dpop_proof` when it fails), answers
   * `token_type: DPoP` with access tokens bound to the proof's key (`cnf.jkt`), and binds the refresh
   * tokens of the family to it: a refresh with another key's proof, or none, is `invalid_grant` and spends
   * nothing (as oidc-provider does). The API takes `Authorization: DPoP <token>` with a proof carrying
   * `ath`, and refuses a bound token sent as Bearer.
   * @default undefined (no DPoP: a `DPoP` header is ignored, every token is Bearer)
   */
  dpop?: boolean | FakeDpopConfig;
}

/** How the fake authorization server does DPoP (`dpop` of its config). */
export interface FakeDpopConfig {
  /**
   * `true`: a token request without a proof is refused (`invalid_dpop_proof`). `false`: DPoP is
   * allowed, a request without a proof gets a Bearer token, and the API accepts both.
   * @default true
   */
  required?: boolean;
  /**
   * Proofs must carry the server's nonce (RFC 9449 §8, §9): the token endpoint answers 400
   * `use_dpop_nonce`, the API 401 `WWW-Authenticate: DPoP error="use_dpop_nonce"`, with the nonce in
   * `DPoP-Nonce` (the authorization server's and the API's apart); `rotateDpopNonces()` changes them.
   * @default false
   */
  nonces?: boolean;
  /** How far a proof's `iat` may be from the server's `now`, either way, in milliseconds. @default 60_000 */
  proofWindow?: number;
}

/** The configuration with every default applied and checked. */
export type ResolvedConfig = ReturnType<typeof resolveConfig>;

/** Applies the defaults; throws `TypeError`/`RangeError` for a path or a duration that cannot work. */
export function resolveConfig(config: FakeAuthorizationServerConfig) {
  const resolved = {
    tokenPath: config.tokenPath ?? '/oauth/token',
    revocationPath: config.revocationPath ?? '/oauth/revoke',
    apiPrefix: config.apiPrefix ?? '/api/',
    accessTokenTtl: config.accessTokenTtl ?? 60_000,
    rotateRefreshTokens: config.rotateRefreshTokens ?? true,
    reuseDetection: config.reuseDetection ?? true,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    clientJwks: config.clientJwks,
    now: config.now ?? (() => Date.now()),
    tokenDelay: config.tokenDelay ?? 0,
    apiDelay: config.apiDelay ?? 0,
    api: config.api,
    cors: config.cors ?? false,
    dpop: resolveDpop(config.dpop),
  };
  if (!resolved.tokenPath.startsWith('/')) throw new TypeError(`tokenPath must start with '/', got ${resolved.tokenPath}`);
  if (resolved.revocationPath !== false && !resolved.revocationPath.startsWith('/')) {
    throw new TypeError(`revocationPath must start with '/' or be false, got ${resolved.revocationPath}`);
  }
  if (!/^\/(.*\/)?$/.test(resolved.apiPrefix)) {
    throw new TypeError(`apiPrefix must start and end with '/', got ${resolved.apiPrefix}`);
  }
  if (resolved.clientJwks !== undefined && (!Array.isArray(resolved.clientJwks) || resolved.clientId === undefined)) {
    throw new TypeError('clientJwks must be an array of public JWKs, with clientId set');
  }
  for (const key of ['accessTokenTtl', 'tokenDelay', 'apiDelay'] as const) {
    const value = resolved[key];
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`${key} must be a non-negative number, got ${value}`);
  }
  return resolved;
}

/** The DPoP config with its defaults, or undefined when DPoP is off. */
function resolveDpop(dpop: boolean | FakeDpopConfig | undefined) {
  if (dpop === undefined || dpop === false) return undefined;
  if (dpop !== true && (typeof dpop !== 'object' || dpop === null)) throw new TypeError('dpop must be a boolean or { required?, nonces?, proofWindow? }');
  const { required = true, nonces = false, proofWindow = 60_000 } = dpop === true ? {} : dpop;
  if (!Number.isFinite(proofWindow) || proofWindow < 0) throw new RangeError(`dpop.proofWindow must be a non-negative number, got ${proofWindow}`);
  return { required: required !== false, nonces: nonces === true, proofWindow };
}
