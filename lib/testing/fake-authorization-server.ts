/** Configuration for {@link createFakeAuthorizationServer}. Every field is optional. */
export interface FakeAuthorizationServerConfig {
  /** Path of the token endpoint (`POST`, form-encoded). @default '/oauth/token' */
  tokenPath?: string;
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
  /** The clock that decides access-token expiry, in epoch milliseconds. @default Date.now */
  now?: () => number;
  /** Milliseconds (real timers) the token endpoint waits before it decides and answers. @default 0 */
  tokenDelay?: number;
  /** Milliseconds every API response waits; a request may override it with `?delay=<ms>`. @default 0 */
  apiDelay?: number;
}

/** What {@link FakeAuthorizationServer.signIn} hands out, as a real sign-in would. */
export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  /** When the access token expires, in epoch milliseconds (by the server's `now`). */
  expiresAt: number;
}

/** Counters since creation or the last {@link FakeAuthorizationServer.resetStats}. */
export interface FakeAuthorizationServerStats {
  /** `POST`s to the token endpoint, scripted faults included. */
  readonly tokenRequests: number;
  /** Successful `refresh_token` grants. */
  readonly refreshGrants: number;
  /** Requests under the API prefix, whatever their outcome. */
  readonly apiRequests: number;
  /** API requests rejected because the access token was missing, unknown, expired or revoked. */
  readonly apiUnauthorized: number;
  /** Token requests that presented a retired refresh token while reuse detection was on. */
  readonly reuseDetected: number;
  /** Token families revoked, by reuse detection or {@link FakeAuthorizationServer.revokeAll}. */
  readonly revokedFamilies: number;
}

/**
 * How {@link FakeAuthorizationServer.failTokenRequests} makes a token request fail: `'network'` throws
 * {@link FakeNetworkFault}; `'server-error'` is a 503 with a JSON body; `'rate-limited'` a 429 with
 * `Retry-After: 1`; `'html'` a 200 `text/html` page; `'no-access-token'` a 200 JSON body without
 * `access_token`; `'hang'` never answers until the request's signal aborts.
 */
export type FakeTokenFault = 'network' | 'server-error' | 'rate-limited' | 'html' | 'no-access-token' | 'hang';

/** An in-memory OAuth2 authorization server plus protected API that speaks Fetch `Request`/`Response`. */
export interface FakeAuthorizationServer {
  /**
   * Handles a Fetch API Request for the token endpoint or the API; any other path → 404 JSON.
   * Rejects with {@link FakeNetworkFault} when a network failure is scripted, and with the signal's
   * abort reason when the request is aborted while the server is waiting.
   */
  handle(request: Request): Promise<Response>;
  /** Starts a new token family, as a sign-in would. `subject` becomes the `sub` claim. */
  signIn(subject?: string): IssuedTokens;
  /** Revokes every family (e.g. a password change): all access and refresh tokens stop working. */
  revokeAll(): void;
  /** Makes every access token issued so far expired now (server side), without touching refresh tokens. */
  expireAccessTokens(): void;
  /** Scripts the next `count` token-endpoint requests (after any already scripted) to fail with `kind`. */
  failTokenRequests(count: number, kind: FakeTokenFault): void;
  /** Every refresh token ever issued, newest last (a snapshot; lets tests assert a client stores the newest). */
  readonly issuedRefreshTokens: readonly string[];
  /** A snapshot of the counters. */
  readonly stats: FakeAuthorizationServerStats;
  /** Sets every counter back to zero. */
  resetStats(): void;
}

/**
 * Thrown by {@link FakeAuthorizationServer.handle} for a scripted `'network'` fault. The adapters turn it
 * into a real network failure: msw's `Response.error()`, or a destroyed socket.
 */
export class FakeNetworkFault extends Error {
  override readonly name = 'FakeNetworkFault';

  constructor(message = 'Scripted network failure') {
    super(message);
  }
}

interface Family {
  readonly id: string;
  readonly sub: string;
  revoked: boolean;
}

interface AccessRecord {
  readonly family: Family;
  readonly expiresAt: number;
  expired: boolean;
}

interface RefreshRecord {
  readonly family: Family;
  retired: boolean;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };

/**
 * Creates a fake OAuth2 authorization server (refresh-token grant with rotation and reuse detection) and a
 * Bearer-protected API, as one pure model over Fetch `Request`/`Response`. It knows nothing about any
 * client: mount it with `createOAuth2Handlers` (msw) or `startOAuth2Server` (`node:http`).
 *
 * Each token-endpoint decision is synchronous once the body is read and the delay has passed, so
 * concurrent refreshes with one refresh token see consistent rotation: the first wins, the rest are reuse.
 * API routes, all requiring a valid Bearer token unless noted: `<apiPrefix>forbidden` → 403,
 * `<apiPrefix>status/<code>` → that status, `<apiPrefix>dpop` → 401 DPoP nonce challenge (no token
 * needed), anything else → 200 `{ ok, method, path, sub, body? }`.
 *
 * @example
 * const server = createFakeAuthorizationServer({ accessTokenTtl: 1_000 });
 * const { accessToken, refreshToken } = server.signIn();
 * const res = await server.handle(new Request('http://x.test/oauth/token', {
 *   method: 'POST',
 *   body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
 * }));
 * await res.json(); // { access_token: 'eyJ…', token_type: 'Bearer', expires_in: 1, refresh_token: '…' }
 */
export function createFakeAuthorizationServer(config: FakeAuthorizationServerConfig = {}): FakeAuthorizationServer {
  const options = resolveConfig(config);
  const families: Family[] = [];
  const accessTokens = new Map<string, AccessRecord>();
  const refreshTokens = new Map<string, RefreshRecord>();
  const issuedRefreshTokens: string[] = [];
  const faults: FakeTokenFault[] = [];
  let stats = emptyStats();

  function issueRefreshToken(family: Family): string {
    const token = randomToken();
    refreshTokens.set(token, { family, retired: false });
    issuedRefreshTokens.push(token);
    return token;
  }

  function issueAccessToken(family: Family): { accessToken: string; expiresAt: number } {
    const issuedAt = options.now();
    const expiresAt = issuedAt + options.accessTokenTtl;
    const claims = {
      sub: family.sub,
      fam: family.id,
      jti: crypto.randomUUID(),
      exp: Math.floor(expiresAt / 1000),
      iat: Math.floor(issuedAt / 1000),
    };
    const accessToken = `${encodeJson({ alg: 'HS256', typ: 'at+jwt' })}.${encodeJson(claims)}.${randomToken()}`;
    accessTokens.set(accessToken, { family, expiresAt, expired: false });
    return { accessToken, expiresAt };
  }

  function revoke(family: Family): void {
    if (family.revoked) return;
    family.revoked = true;
    stats.revokedFamilies++;
  }

  function refresh(presented: string): Response {
    const record = refreshTokens.get(presented);
    if (record?.retired && options.reuseDetection) {
      stats.reuseDetected++;
      revoke(record.family);
    }
    if (!record || record.retired || record.family.revoked) {
      return oauthError(400, 'invalid_grant', 'The refresh token is invalid, rotated out or revoked');
    }
    stats.refreshGrants++;
    let refreshToken: string | undefined;
    if (options.rotateRefreshTokens) {
      record.retired = true;
      refreshToken = issueRefreshToken(record.family);
    }
    const { accessToken } = issueAccessToken(record.family);
    const body = {
      access_token: accessToken,
      token_type: 'Bearer',
      // Rounded down so a client that trusts expires_in never believes a token outlives the server's view.
      expires_in: Math.floor(options.accessTokenTtl / 1000),
      ...(refreshToken === undefined ? {} : { refresh_token: refreshToken }),
    };
    return json(200, body, NO_STORE);
  }

  function grant(headers: Headers, body: string): Response {
    if (!isFormEncoded(headers)) {
      return oauthError(400, 'invalid_request', 'The body must be application/x-www-form-urlencoded');
    }
    const form = new URLSearchParams(body);
    if (!isClientAuthenticated(headers, form, options)) {
      // RFC 6749 §5.2: a client that tried the Authorization header gets a challenge back.
      const challenge = headers.has('authorization') ? { 'WWW-Authenticate': 'Basic realm="fake"' } : undefined;
      return oauthError(401, 'invalid_client', 'Client authentication failed', challenge);
    }
    const grantType = form.get('grant_type');
    if (!grantType) return oauthError(400, 'invalid_request', 'grant_type is required');
    if (grantType !== 'refresh_token') {
      return oauthError(400, 'unsupported_grant_type', `grant_type ${grantType} is not supported`);
    }
    const presented = form.get('refresh_token');
    if (!presented) return oauthError(400, 'invalid_request', 'refresh_token is required');
    return refresh(presented);
  }

  async function handleTokenRequest(request: Request): Promise<Response> {
    stats.tokenRequests++;
    // Taken on arrival, before any await, so scripted faults hit requests in the order they came in.
    const fault = faults.shift();
    if (fault === 'hang') return waitForAbort(request.signal);
    const body = fault ? '' : await request.text();
    // Waiting before deciding means an aborted token request changes nothing, like one never received.
    await sleep(options.tokenDelay, request.signal);
    return fault ? faultResponse(fault) : grant(request.headers, body);
  }

  function authenticate(authorization: string | null): AccessRecord | undefined {
    const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
    const record = token === undefined ? undefined : accessTokens.get(token);
    if (!record || record.expired || record.family.revoked || options.now() >= record.expiresAt) return undefined;
    return record;
  }

  async function handleApiRequest(request: Request, url: URL): Promise<Response> {
    stats.apiRequests++;
    const body = await request.text();
    await sleep(requestedDelay(url) ?? options.apiDelay, request.signal);
    const route = url.pathname.slice(options.apiPrefix.length);
    if (route === 'dpop') {
      const challenge = { 'WWW-Authenticate': 'DPoP error="use_dpop_nonce"', 'DPoP-Nonce': randomToken(16) };
      return json(401, { error: 'use_dpop_nonce' }, challenge);
    }
    const access = authenticate(request.headers.get('authorization'));
    if (!access) {
      stats.apiUnauthorized++;
      return json(401, { error: 'invalid_token' }, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
    }
    if (route === 'forbidden') {
      return json(403, { error: 'insufficient_scope' }, { 'WWW-Authenticate': 'Bearer error="insufficient_scope"' });
    }
    const status = /^status\/(\d+)$/.exec(route)?.[1];
    if (status !== undefined) return statusResponse(Number(status));
    // RFC 9110 §9.3.2: a HEAD answer has the GET answer's headers and no content.
    if (request.method === 'HEAD') return new Response(null, { status: 200, headers: { 'Content-Type': 'application/json' } });
    const echo = body === '' ? {} : { body: parseJsonOrText(body) };
    return json(200, { ok: true, method: request.method, path: url.pathname, sub: access.family.sub, ...echo });
  }

  return {
    async handle(request) {
      const url = new URL(request.url);
      if (url.pathname === options.tokenPath) {
        if (request.method === 'POST') return handleTokenRequest(request);
        return json(405, { error: 'invalid_request', error_description: 'Use POST' }, { Allow: 'POST' });
      }
      if (url.pathname.startsWith(options.apiPrefix)) return handleApiRequest(request, url);
      return json(404, { error: 'not_found', path: url.pathname });
    },
    signIn(subject = `user-${families.length + 1}`) {
      const family: Family = { id: `family-${families.length + 1}`, sub: subject, revoked: false };
      families.push(family);
      const refreshToken = issueRefreshToken(family);
      return { ...issueAccessToken(family), refreshToken };
    },
    revokeAll() {
      families.forEach(revoke);
    },
    expireAccessTokens() {
      for (const record of accessTokens.values()) record.expired = true;
    },
    failTokenRequests(count, kind) {
      if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}`);
      for (let i = 0; i < count; i++) faults.push(kind);
    },
    get issuedRefreshTokens() {
      return issuedRefreshTokens.slice();
    },
    get stats() {
      return { ...stats };
    },
    resetStats() {
      stats = emptyStats();
    },
  };
}

function resolveConfig(config: FakeAuthorizationServerConfig) {
  const resolved = {
    tokenPath: config.tokenPath ?? '/oauth/token',
    apiPrefix: config.apiPrefix ?? '/api/',
    accessTokenTtl: config.accessTokenTtl ?? 60_000,
    rotateRefreshTokens: config.rotateRefreshTokens ?? true,
    reuseDetection: config.reuseDetection ?? true,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    now: config.now ?? (() => Date.now()),
    tokenDelay: config.tokenDelay ?? 0,
    apiDelay: config.apiDelay ?? 0,
  };
  if (!resolved.tokenPath.startsWith('/')) throw new TypeError(`tokenPath must start with '/', got ${resolved.tokenPath}`);
  if (!/^\/(.*\/)?$/.test(resolved.apiPrefix)) {
    throw new TypeError(`apiPrefix must start and end with '/', got ${resolved.apiPrefix}`);
  }
  for (const key of ['accessTokenTtl', 'tokenDelay', 'apiDelay'] as const) {
    const value = resolved[key];
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`${key} must be a non-negative number, got ${value}`);
  }
  return resolved;
}

function emptyStats(): Mutable<FakeAuthorizationServerStats> {
  return { tokenRequests: 0, refreshGrants: 0, apiRequests: 0, apiUnauthorized: 0, reuseDetected: 0, revokedFamilies: 0 };
}

function faultResponse(fault: Exclude<FakeTokenFault, 'hang'>): Response {
  switch (fault) {
    case 'network':
      throw new FakeNetworkFault();
    case 'server-error':
      return oauthError(503, 'temporarily_unavailable', 'Scripted server error');
    case 'rate-limited':
      return oauthError(429, 'rate_limited', 'Scripted rate limit', { 'Retry-After': '1' });
    case 'html':
      return new Response('<!doctype html><html><body><h1>Sign in</h1></body></html>', {
        status: 200,
        headers: { 'Content-Type': 'text/html; charset=utf-8' },
      });
    case 'no-access-token':
      return json(200, { token_type: 'Bearer', expires_in: 60 }, NO_STORE);
  }
}

function statusResponse(status: number): Response {
  // The Response constructor rejects anything outside 200–599 and bodies on null-body statuses.
  if (status < 200 || status > 599) return json(400, { error: 'invalid_status', status });
  if (status === 204 || status === 205 || status === 304) return new Response(null, { status });
  return json(status, { status });
}

function isClientAuthenticated(
  headers: Headers,
  form: URLSearchParams,
  expected: { clientId: string | undefined; clientSecret: string | undefined },
): boolean {
  if (expected.clientId === undefined && expected.clientSecret === undefined) return true;
  const basic = parseBasic(headers.get('authorization'));
  const id = basic?.id ?? form.get('client_id');
  const secret = basic?.secret ?? form.get('client_secret');
  return (
    (expected.clientId === undefined || id === expected.clientId) &&
    (expected.clientSecret === undefined || secret === expected.clientSecret)
  );
}

function parseBasic(header: string | null): { id: string; secret: string } | undefined {
  const encoded = /^Basic\s+(\S+)$/i.exec(header ?? '')?.[1];
  if (encoded === undefined) return undefined;
  try {
    const decoded = atob(encoded);
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    // RFC 6749 §2.3.1: both parts are form-urlencoded before the Basic encoding.
    const formDecode = (part: string) => decodeURIComponent(part.replace(/\+/g, ' '));
    return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
  } catch {
    return undefined;
  }
}

function isFormEncoded(headers: Headers): boolean {
  const type = headers.get('content-type') ?? '';
  return type.split(';')[0]?.trim().toLowerCase() === 'application/x-www-form-urlencoded';
}

function requestedDelay(url: URL): number | undefined {
  const raw = url.searchParams.get('delay');
  const delay = raw === null || raw === '' ? NaN : Number(raw);
  return Number.isFinite(delay) && delay >= 0 ? delay : undefined;
}

function parseJsonOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function oauthError(status: number, error: string, description: string, headers?: Record<string, string>): Response {
  return json(status, { error, error_description: description }, { ...NO_STORE, ...headers });
}

function json(status: number, body: unknown, headers?: Record<string, string>): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(abortReason(signal));
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      // Cleared so an abandoned wait never keeps the process (or a test run) alive.
      clearTimeout(timer);
      reject(abortReason(signal));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function waitForAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(abortReason(signal));
    else signal.addEventListener('abort', () => reject(abortReason(signal)), { once: true });
  });
}

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function encodeJson(value: unknown): string {
  return base64url(new TextEncoder().encode(JSON.stringify(value)));
}

function randomToken(bytes = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}
