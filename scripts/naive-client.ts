/** The tokens a {@link NaiveClient} holds: replaced whenever one of its refreshes succeeds. */
export interface NaiveTokens {
  readonly accessToken: string;
  readonly refreshToken: string;
}

/** Where a {@link NaiveClient} sends requests and refreshes, and the tokens it starts with. */
export interface NaiveClientConfig {
  /** API requests go to `new URL(path, baseUrl)`. */
  readonly baseUrl: string;
  /** The OAuth2 token endpoint (`grant_type=refresh_token`, form-encoded). */
  readonly tokenUrl: string;
  readonly tokens: NaiveTokens;
  /** @default globalThis.fetch, looked up per call */
  readonly fetch?: typeof fetch;
}

/** What {@link NaiveClient.get} resolves with; it rejects only when `fetch` does. */
export interface NaiveResponse {
  readonly status: number;
  readonly ok: boolean;
  /** The parsed JSON body, or the text when it is not JSON. */
  readonly body: unknown;
  /** Whether this request called the token endpoint itself. */
  readonly refreshed: boolean;
}

/** A fetch wrapper with the refresh-on-401 logic of a typical hand-written interceptor. */
export interface NaiveClient {
  get(path: string): Promise<NaiveResponse>;
  /** The tokens held now. */
  readonly tokens: NaiveTokens;
}

/**
 * The broken pattern rx-token-http replaces, for the demo and the benchmarks: every request that
 * gets 401 calls the token endpoint on its own, with whatever refresh token the client holds at
 * that moment, stores the answer and retries once. Nothing coordinates concurrent 401s, so with
 * refresh-token rotation all but the first refresh present a spent token, and a server with reuse
 * detection revokes the whole session (RFC 9700 §4.14.2).
 *
 * @example
 * const naive = createNaiveClient({ baseUrl: url, tokenUrl: `${url}/oauth/token`, tokens: server.signIn() });
 * const { status } = await naive.get('/api/me');
 */
export function createNaiveClient(config: NaiveClientConfig): NaiveClient {
  const send: typeof fetch = config.fetch ?? ((input, init) => globalThis.fetch(input, init));
  let tokens: NaiveTokens = { accessToken: config.tokens.accessToken, refreshToken: config.tokens.refreshToken };

  async function call(path: string, accessToken: string): Promise<Omit<NaiveResponse, 'refreshed'>> {
    const response = await send(new URL(path, config.baseUrl), { headers: { authorization: `Bearer ${accessToken}` } });
    return { status: response.status, ok: response.ok, body: await readBody(response) };
  }

  async function refresh(): Promise<boolean> {
    const response = await send(config.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refreshToken }).toString(),
    });
    const body = (await readBody(response)) as { access_token?: unknown; refresh_token?: unknown } | null;
    if (!response.ok || typeof body?.access_token !== 'string') return false;
    const refreshToken = typeof body.refresh_token === 'string' ? body.refresh_token : tokens.refreshToken;
    tokens = { accessToken: body.access_token, refreshToken };
    return true;
  }

  return {
    async get(path) {
      const first = await call(path, tokens.accessToken);
      if (first.status !== 401) return { ...first, refreshed: false };
      if (!(await refresh())) return { ...first, refreshed: true };
      return { ...(await call(path, tokens.accessToken)), refreshed: true };
    },
    get tokens() {
      return tokens;
    },
  };
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
