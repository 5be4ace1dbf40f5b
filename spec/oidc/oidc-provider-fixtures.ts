import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { calculateJwkThumbprint, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll } from 'vitest';

/*
 * A real authorization server for the specs (issues 23 and 24): oidc-provider 9 on a free
 * 127.0.0.1 port, one per spec file (`useOidcProvider()`), with the clients below, DPoP (nonces
 * switchable), the client credentials grant, revocation and refresh token rotation; and a resource
 * server on another port that accepts a Bearer token only while the provider still knows it.
 * Everything a spec reads is here: tokens are obtained through the real authorization code flow
 * with PKCE, driving the dev login and consent pages over HTTP.
 */

/** The clients registered with the provider. Secrets and keys are the specs' own. */
export const CLIENTS = {
  /** A browser app: auth code + PKCE, refresh tokens, no client authentication. */
  public: { clientId: 'spa' },
  /** A confidential client authenticating with HTTP Basic. */
  basic: { clientId: 'svc:basic/1', clientSecret: 'se:cr%et +/=1' },
  /** A confidential client authenticating with `client_secret_post`. */
  post: { clientId: 'svc-post', clientSecret: 'post-secret-2' },
  /** A confidential client authenticating with `private_key_jwt` (ES256, key below). */
  jwt: { clientId: 'svc-jwt', kid: 'svc-jwt-key-1' },
} as const;

export type ClientName = keyof typeof CLIENTS;

export const REDIRECT_URI = 'http://127.0.0.1/callback';
/** The resource (RFC 8707) the client credentials grant may name; its scopes are `api:read api:write`. */
export const API_RESOURCE = 'https://api.example.test/';

export interface ProviderSettings {
  /** Access token life, seconds (user and client credentials tokens alike). */
  accessTokenTtl: number;
  /** Refresh token life, seconds. */
  refreshTokenTtl: number;
  /** Whether DPoP proofs must carry a server nonce (RFC 9449 §8). */
  dpopNonces: boolean;
  /**
   * Whether the provider has DPoP nonces at all (a nonce secret). With them it answers a proof
   * whose `iat` is out of its window with `use_dpop_nonce`; without them (and `dpopNonces`
   * false) with `invalid_dpop_proof`. @default true
   */
  dpopNonceSecret?: boolean;
}

/** One call of the token endpoint, as the provider saw it. */
export interface TokenCall {
  readonly grantType: string | undefined;
  readonly clientId: string | undefined;
  readonly status: number;
  readonly error: string | undefined;
  /** How the client authenticated: `basic`, `post`, `jwt` (an assertion) or `none`. */
  readonly auth: 'basic' | 'post' | 'jwt' | 'none';
  readonly assertion: string | undefined;
  /** Whether the call carried a DPoP proof. */
  readonly dpop: boolean;
  /** The RFC 7638 thumbprint of the proof's `jwk`: the key the proof was made with. */
  readonly dpopJkt?: string;
}

export interface RunningProvider {
  readonly issuer: string;
  readonly tokenUrl: string;
  readonly revocationUrl: string;
  /** The resource server's base URL: `GET {apiUrl}/anything` answers 200 with a live access token (a user's or a client's), 401 otherwise. */
  readonly apiUrl: string;
  readonly settings: ProviderSettings;
  readonly tokenCalls: TokenCall[];
  readonly revocationCalls: TokenCall[];
  /** Requests the resource server answered, and how many it refused. */
  readonly api: { requests: number; rejected: number };
  /** The private JWK of the `private_key_jwt` client (with its `kid` and `alg`). */
  readonly jwtClientKey: JWK;
  calls(filter: Partial<Pick<TokenCall, 'grantType' | 'clientId' | 'status' | 'error'>>): TokenCall[];
  /** Removes a client: every later call that names it fails with `invalid_client`. */
  disableClient(clientId: string): Promise<void>;
  /** Whether the provider still knows this access or refresh token. */
  isActive(token: string, kind?: 'AccessToken' | 'RefreshToken' | 'ClientCredentials'): Promise<boolean>;
  /** The JWK thumbprint a token is bound to (`cnf.jkt`; a refresh token's too), undefined when none or unknown. */
  boundKey(token: string, kind?: 'AccessToken' | 'RefreshToken'): Promise<string | undefined>;
  /**
   * A user's tokens through the authorization code flow with PKCE (`offline_access`: a refresh
   * token). With `dpop`, the code exchange carries a proof (nonce challenges answered), so the
   * tokens are bound to that key (RFC 9449). `dpop` may also be a {@link DpopProver}: the proofs
   * are then made by whoever holds the key (a page's non-extractable key, spec/tabs/dpop-tabs.spec.ts).
   */
  signIn(options?: { client?: ClientName; user?: string; dpop?: DpopKey | DpopProver }): Promise<UserTokens>;
  close(): Promise<void>;
}

export interface UserTokens {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly expiresIn: number;
  /** `Bearer`, or `DPoP` for tokens bound to a key. */
  readonly tokenType: string;
}

/** A DPoP key pair for the fixture's own proofs (issue 23 brings the library's). */
export interface DpopKey {
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

/** Makes the code exchange's proof (POST to the token endpoint, with the server's nonce once it asked) for a key the fixture cannot read. */
export type DpopProver = (url: string, nonce: string | undefined) => Promise<string>;

export async function dpopKey(): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  return { privateKey: privateKey as CryptoKey, publicJwk: await exportJWK(publicKey) };
}

/** A DPoP proof (RFC 9449 §4.2) made with jose: for the fixture's code exchange, and for specs. */
export function dpopProof(key: DpopKey, method: string, url: string, nonce?: string): Promise<string> {
  return new SignJWT({ htm: method, htu: url, ...(nonce ? { nonce } : {}) })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.publicJwk })
    .setJti(randomUUID())
    .setIssuedAt()
    .sign(key.privateKey);
}

export let provider: RunningProvider;

/** Starts a provider for the spec file (beforeAll) and stops it (afterAll); read it as `provider`. */
export function useOidcProvider(settings: Partial<ProviderSettings> = {}): void {
  beforeAll(async () => {
    provider = await startOidcProvider(settings);
  });
  afterAll(async () => {
    await provider?.close();
  });
}

const DEFAULTS: ProviderSettings = { accessTokenTtl: 2, refreshTokenTtl: 3600, dpopNonces: false };

// oidc-provider warns on Node 20 (it prefers 22) and about its dev-only interactions: expected here.
async function quietly<T>(work: () => Promise<T>): Promise<T> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!String(args[0]).includes('oidc-provider WARNING')) warn(...args);
  };
  try {
    return await work();
  } finally {
    console.warn = warn;
  }
}

export async function startOidcProvider(overrides: Partial<ProviderSettings> = {}): Promise<RunningProvider> {
  const settings: ProviderSettings = { ...DEFAULTS, ...overrides };
  let handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end();
  const server = createServer((req, res) => handle(req, res));
  const issuer = await listen(server);

  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwtClientKey: JWK = { ...(await exportJWK(privateKey)), kid: CLIENTS.jwt.kid, alg: 'ES256' };
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid: CLIENTS.jwt.kid, alg: 'ES256', use: 'sig' };

  const oidc = await quietly(async () => {
    const { default: Provider } = await import('oidc-provider');
    return new Provider(issuer, {
      features: {
        devInteractions: { enabled: true },
        clientCredentials: { enabled: true },
        revocation: { enabled: true, allowedPolicy: (_ctx: unknown, client: { clientId: string }, token: { clientId?: string }) => token.clientId === client.clientId },
        introspection: { enabled: true },
        dPoP: { enabled: true, nonceSecret: settings.dpopNonceSecret === false ? undefined : randomBytes(32), requireNonce: () => settings.dpopNonces },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => undefined,
          useGrantedResource: () => false,
          getResourceServerInfo: (_ctx: unknown, resource: string) => {
            if (resource !== API_RESOURCE) throw new Error(`unknown resource ${resource}`);
            return { scope: 'api:read api:write', audience: resource, accessTokenTTL: settings.accessTokenTtl, accessTokenFormat: 'opaque' };
          },
        },
      },
      scopes: ['openid', 'offline_access', 'api:read', 'api:write'],
      pkce: { required: () => true },
      rotateRefreshToken: true,
      ttl: {
        AccessToken: () => settings.accessTokenTtl,
        ClientCredentials: () => settings.accessTokenTtl,
        RefreshToken: () => settings.refreshTokenTtl,
        AuthorizationCode: 60,
        IdToken: 60,
        Interaction: 600,
        Session: 3600,
        Grant: 3600,
      },
      findAccount: (_ctx: unknown, sub: string) => ({ accountId: sub, claims: () => ({ sub }) }),
      cookies: { keys: [randomBytes(16).toString('hex')] },
      clientBasedCORS: () => true,
    });
  });

  const user = { grant_types: ['authorization_code', 'refresh_token', 'client_credentials'], response_types: ['code'], redirect_uris: [REDIRECT_URI] };
  const metadata = [
    { client_id: CLIENTS.public.clientId, token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], redirect_uris: [REDIRECT_URI] },
    { client_id: CLIENTS.basic.clientId, client_secret: CLIENTS.basic.clientSecret, token_endpoint_auth_method: 'client_secret_basic', ...user },
    { client_id: CLIENTS.post.clientId, client_secret: CLIENTS.post.clientSecret, token_endpoint_auth_method: 'client_secret_post', ...user },
    { client_id: CLIENTS.jwt.clientId, token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'ES256', jwks: { keys: [publicJwk] }, ...user },
  ];
  // In the provider's adapter rather than its static `clients`, so that a spec can remove one.
  for (const client of metadata) await oidc.Client.adapter.upsert(client.client_id, client);

  const tokenCalls: TokenCall[] = [];
  const revocationCalls: TokenCall[] = [];
  oidc.use(async (ctx, next) => {
    await next();
    const calls = ctx.path === '/token' ? tokenCalls : ctx.path === '/token/revocation' ? revocationCalls : undefined;
    if (calls === undefined || ctx.method !== 'POST') return;
    const params = (ctx.oidc?.params ?? {}) as Record<string, string | undefined>;
    const basic = /^Basic /i.test(ctx.get('authorization'));
    const body = ctx.body as { error?: string } | undefined;
    calls.push({
      grantType: params.grant_type,
      clientId: ctx.oidc?.client?.clientId ?? params.client_id ?? (basic ? basicClientId(ctx.get('authorization')) : undefined),
      status: ctx.status,
      error: ctx.status >= 400 ? body?.error : undefined,
      auth: basic ? 'basic' : params.client_assertion ? 'jwt' : params.client_secret ? 'post' : 'none',
      assertion: params.client_assertion,
      dpop: ctx.get('dpop') !== '',
      dpopJkt: await proofThumbprint(ctx.get('dpop')),
    });
  });

  const api = { requests: 0, rejected: 0 };
  // A user's access token, or a client's own (client credentials).
  const findAccessToken = async (token: string) => (await oidc.AccessToken.find(token)) ?? (await oidc.ClientCredentials.find(token));
  const apiServer = createServer((req, res) => {
    api.requests++;
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    void (token === undefined ? Promise.resolve(undefined) : findAccessToken(token)).then((found) => {
      if (found === undefined || found.isExpired) {
        api.rejected++;
        res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' }).end();
      } else {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url, sub: found.accountId ?? found.clientId }));
      }
    });
  });
  const apiUrl = await listen(apiServer);

  const callback = oidc.callback();
  handle = (req, res) => void callback(req, res);

  const running: RunningProvider = {
    issuer,
    tokenUrl: `${issuer}/token`,
    revocationUrl: `${issuer}/token/revocation`,
    apiUrl,
    settings,
    tokenCalls,
    revocationCalls,
    api,
    jwtClientKey,
    calls: (filter) => tokenCalls.filter((call) => Object.entries(filter).every(([key, value]) => call[key as keyof TokenCall] === value)),
    disableClient: async (clientId) => {
      await oidc.Client.adapter.destroy(clientId);
    },
    isActive: async (token, kind = 'AccessToken') => {
      const found = await oidc[kind].find(token);
      return found !== undefined && !found.isExpired && !found.consumed;
    },
    boundKey: async (token, kind = 'AccessToken') => (await oidc[kind].find(token))?.jkt,
    signIn: (options = {}) => signIn(running, options.client ?? 'public', options.user ?? 'alice', options.dpop),
    close: async () => {
      for (const s of [server, apiServer]) s.closeAllConnections();
      await Promise.all([server, apiServer].map((s) => new Promise((resolve) => s.close(resolve))));
    },
  };
  return running;
}

/** What the provider holds of a token (RFC 7662 introspection). */
export interface Introspection {
  readonly active: boolean;
  readonly exp?: number;
  readonly token_type?: string;
  readonly cnf?: { readonly jkt?: string };
}

/** RFC 7662 introspection of `token` by the confidential `basic` client: what `running` holds of it. */
export async function introspect(running: RunningProvider, token: string): Promise<Introspection> {
  const auth = await clientAuthentication(running, 'basic');
  const response = await fetch(`${running.issuer}/token/introspection`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth.headers },
    body: new URLSearchParams({ token, ...auth.form }),
  });
  return (await response.json()) as Introspection;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function proofThumbprint(proof: string): Promise<string | undefined> {
  try {
    return proof === '' ? undefined : await calculateJwkThumbprint(decodeProtectedHeader(proof).jwk as JWK);
  } catch {
    return undefined;
  }
}

function basicClientId(header: string): string | undefined {
  const decoded = Buffer.from(header.slice(6), 'base64').toString();
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
}

/** How the fixture itself authenticates a client at the token endpoint (with jose, not with the library). */
export async function clientAuthentication(running: RunningProvider, client: ClientName): Promise<{ headers: Record<string, string>; form: Record<string, string> }> {
  const form = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  switch (client) {
    case 'public':
      return { headers: {}, form: { client_id: CLIENTS.public.clientId } };
    case 'basic': {
      const { clientId, clientSecret } = CLIENTS.basic;
      return { headers: { authorization: `Basic ${Buffer.from(`${form(clientId)}:${form(clientSecret)}`).toString('base64')}` }, form: {} };
    }
    case 'post':
      return { headers: {}, form: { client_id: CLIENTS.post.clientId, client_secret: CLIENTS.post.clientSecret } };
    case 'jwt': {
      const assertion = await new SignJWT({})
        .setProtectedHeader({ alg: 'ES256', kid: CLIENTS.jwt.kid })
        .setIssuer(CLIENTS.jwt.clientId)
        .setSubject(CLIENTS.jwt.clientId)
        .setAudience(running.tokenUrl)
        .setJti(randomUUID())
        .setIssuedAt()
        .setExpirationTime('60s')
        .sign(await importPrivate(running.jwtClientKey));
      return { headers: {}, form: { client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion } };
    }
  }
}

async function importPrivate(jwk: JWK): Promise<CryptoKey> {
  const { importJWK } = await import('jose');
  return (await importJWK(jwk, 'ES256')) as CryptoKey;
}

/** A tiny cookie jar: the latest value per cookie name, sent everywhere (one host, one spec). */
class Cookies {
  readonly #values = new Map<string, string>();
  take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = (pair ?? '').indexOf('=');
      if (eq > 0) this.#values.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1));
    }
  }
  header(): string {
    return [...this.#values].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

async function signIn(running: RunningProvider, client: ClientName, user: string, dpop: DpopKey | DpopProver | undefined): Promise<UserTokens> {
  const cookies = new Cookies();
  const go = async (url: string, body?: URLSearchParams): Promise<Response> => {
    const response = await fetch(new URL(url, running.issuer), {
      method: body ? 'POST' : 'GET',
      redirect: 'manual',
      headers: { cookie: cookies.header(), ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body,
    });
    cookies.take(response);
    return response;
  };
  const verifier = randomBytes(32).toString('base64url');
  const state = randomUUID();
  const authorize = new URL(`${running.issuer}/auth`);
  authorize.search = new URLSearchParams({
    client_id: CLIENTS[client].clientId,
    response_type: 'code',
    redirect_uri: REDIRECT_URI,
    scope: 'openid offline_access',
    prompt: 'consent',
    state,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();

  // /auth → login page → /auth/:uid → consent page → /auth/:uid → the redirect URI with a code.
  let response = await go(authorize.toString());
  for (let step = 0; step < 8; step++) {
    const location = response.headers.get('location');
    if (response.status === 200) {
      const page = await response.text();
      const action = /<form[^>]*action="([^"]+)"[^>]*method="post"/.exec(page)?.[1];
      const prompt = /name="prompt" value="(\w+)"/.exec(page)?.[1];
      if (!action || !prompt) throw new Error(`signIn: no interaction form on the page (step ${step})`);
      response = await go(action, new URLSearchParams(prompt === 'login' ? { prompt, login: user, password: 'any' } : { prompt }));
    } else if (location?.startsWith(REDIRECT_URI)) {
      const answer = new URL(location).searchParams;
      if (answer.get('state') !== state || !answer.get('code')) throw new Error(`signIn: the authorization failed: ${answer.get('error') ?? 'no code'}`);
      return exchangeCode(running, client, answer.get('code')!, verifier, dpop);
    } else if (location) {
      await response.body?.cancel();
      response = await go(location);
    } else {
      throw new Error(`signIn: unexpected ${response.status} at step ${step}: ${await response.text()}`);
    }
  }
  throw new Error('signIn: too many steps');
}

async function exchangeCode(running: RunningProvider, client: ClientName, code: string, verifier: string, dpop: DpopKey | DpopProver | undefined): Promise<UserTokens> {
  let nonce: string | undefined;
  for (let attempt = 0; ; attempt++) {
    const auth = await clientAuthentication(running, client);
    const prove: DpopProver | undefined = typeof dpop === 'function' ? dpop : dpop && ((url, n) => dpopProof(dpop, 'POST', url, n));
    const proof: Record<string, string> = prove ? { dpop: await prove(running.tokenUrl, nonce) } : {};
    const response = await fetch(running.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth.headers, ...proof },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier, ...auth.form }),
    });
    const body = (await response.json()) as { access_token?: string; refresh_token?: string; expires_in?: number; token_type?: string; error?: string };
    if (body.error === 'use_dpop_nonce' && attempt === 0 && response.headers.get('dpop-nonce')) {
      nonce = response.headers.get('dpop-nonce')!;
      continue;
    }
    if (!response.ok || !body.access_token || !body.refresh_token) throw new Error(`signIn: the code exchange failed: ${response.status} ${body.error ?? 'no refresh token'}`);
    return { accessToken: body.access_token, refreshToken: body.refresh_token, expiresIn: body.expires_in ?? 0, tokenType: body.token_type ?? 'Bearer' };
  }
}
