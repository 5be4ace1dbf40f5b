/*
 * The server of spec/e2e/session-paths.property.spec.ts: a token endpoint (refresh token and client
 * credentials grants, rotation with reuse detection) and a protected API, on the run's clock
 * (`Date.now`, faked), reached through a network that can be offline. It answers what the fake
 * server of `rx-token-http/testing` cannot script: `invalid_client` and `invalid_scope`, DPoP
 * proofs and nonces (a token endpoint's 400 `use_dpop_nonce`, a resource's 401 with
 * `WWW-Authenticate: DPoP error="use_dpop_nonce"`, a nonce that rotates, a storm of challenges),
 * and API 503s between them.
 * It records what the invariants read: every token call and API attempt, with the time, the
 * network's state and whether it was challenged, and every grant the session did not need.
 */

/** What the token endpoint answers next; `dead` grants a token already expired (`expires_in: 0`). */
export type TokenFault = 'network' | '503' | 'invalid_scope' | 'invalid_client' | 'dead';
export type DpopServer = 'authorization' | 'resource';

/** One token-endpoint call as the server saw it. */
export interface TokenCall {
  readonly at: number;
  /** When the server answered (or the network refused it). */
  decidedAt?: number;
  readonly offlinePeriod: number | undefined;
  outcome?: 'granted' | 'challenged' | TokenFault | 'invalid_grant';
}

/** One attempt of an API request (`?id=`) as the server saw it. */
export interface ApiAttempt {
  readonly at: number;
  /** The sign-in (family) of the token it carried, '' for none or unknown. */
  readonly family: string;
  readonly offlinePeriod: number | undefined;
  outcome?: 'ok' | 'challenged' | 'invalid_token' | '503';
}

interface Issued {
  readonly family: string;
  readonly bound: boolean;
  readonly receivedAt: number;
  exp: number;
}

const TTL = 60_000;
/** The session's refresh margin for a 60 s token: a quarter of its life (lib/session/refreshes.ts). */
const MARGIN = TTL / 4;

/**
 * `apiFailures`: the share of API attempts answered 503 (with `random`, seeded), so a request's
 * transient retries fall between its 401s and refreshes.
 */
export function createModelTokenServer(options: { dpop: boolean; tokenDelay: number; apiFailures?: number; random?: () => number }) {
  const access = new Map<string, Issued>();
  const refresh = new Map<string, { family: string; retired: boolean }>();
  /** Family → its newest access token and refresh token. */
  const newest = new Map<string, { accessToken: string; refreshToken?: string }>();
  const revokedFamilies = new Set<string>();
  const tokenFaults: TokenFault[] = [];
  const nonces: Record<DpopServer, string> = { authorization: 'n-a0', resource: 'n-r0' };
  const storms: Record<DpopServer, boolean> = { authorization: false, resource: false };
  let apiFaults = 0;
  let serial = 0;
  let offlinePeriod: number | undefined;
  let periods = 0;
  const record = {
    tokenCalls: [] as TokenCall[],
    attempts: new Map<string, ApiAttempt[]>(),
    /** Grants made while the family's newest token was still good and not yet due: a refresh nobody needed (rules 1, 2, 14). */
    needless: [] as string[],
    reuseDetected: 0,
    /** Terminal answers given: `invalid_client` (machine), `invalid_grant` (user). */
    terminalAnswers: [] as number[],
  };

  const issue = (family: string, withRefreshToken: boolean, ttl = TTL) => {
    const accessToken = `at-${family}-${++serial}`;
    access.set(accessToken, { family, bound: options.dpop, receivedAt: Date.now(), exp: Date.now() + ttl });
    const tokens: { accessToken: string; refreshToken?: string } = { accessToken };
    if (withRefreshToken) {
      tokens.refreshToken = `rt-${family}-${serial}`;
      refresh.set(tokens.refreshToken, { family, retired: false });
    }
    newest.set(family, tokens);
    return tokens;
  };
  const good = (token: Issued | undefined) => token !== undefined && !revokedFamilies.has(token.family) && Date.now() < token.exp;
  const due = (family: string) => {
    const current = access.get(newest.get(family)?.accessToken ?? '');
    return !good(current) || Date.now() >= current!.exp - Math.min(MARGIN, (current!.exp - current!.receivedAt) / 4);
  };
  const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers } });
  const wait = (ms: number) => (ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve());

  // The proof's nonce (its signature is the library's and jose's business: spec/dpop), or why it is refused.
  const proofNonce = (request: Request): string | undefined => {
    const proof = request.headers.get('dpop');
    const payload = proof?.split('.')[1];
    if (!payload) return undefined;
    return (JSON.parse(Buffer.from(payload, 'base64url').toString()) as { nonce?: string }).nonce;
  };
  /**
   * The server's nonce when the proof lacks it (the first call, or after a rotation); in a storm
   * every call is refused with a new one, so a retry meets a second challenge in a row.
   */
  const challenge = (server: DpopServer, request: Request): string | undefined => {
    if (!options.dpop) return undefined;
    if (storms[server]) nonces[server] = `n-${server[0]}${++serial}`;
    else if (proofNonce(request) === nonces[server]) return undefined;
    return nonces[server];
  };

  async function tokenEndpoint(request: Request): Promise<Response> {
    const call: TokenCall = { at: Date.now(), offlinePeriod };
    record.tokenCalls.push(call);
    const form = new URLSearchParams(await request.text());
    await wait(options.tokenDelay);
    call.decidedAt = Date.now();
    const nonce = challenge('authorization', request);
    if (nonce !== undefined) {
      call.outcome = 'challenged';
      return json(400, { error: 'use_dpop_nonce' }, { 'dpop-nonce': nonce });
    }
    const shifted = tokenFaults.shift();
    const dead = shifted === 'dead';
    const fault = dead ? undefined : shifted;
    if (fault === 'network') {
      call.outcome = fault;
      throw new TypeError('fetch failed', { cause: new Error('ECONNRESET') });
    }
    if (fault !== undefined) {
      call.outcome = fault;
      if (fault === 'invalid_client') record.terminalAnswers.push(Date.now());
      return fault === '503' ? json(503, { error: 'temporarily_unavailable' }) : json(fault === 'invalid_client' ? 401 : 400, { error: fault });
    }
    let family: string;
    if (form.get('grant_type') === 'client_credentials') {
      family = 'machine';
    } else {
      const presented = refresh.get(form.get('refresh_token') ?? '');
      if (presented === undefined || presented.retired || revokedFamilies.has(presented.family)) {
        if (presented?.retired) {
          record.reuseDetected++;
          revokedFamilies.add(presented.family);
        }
        call.outcome = 'invalid_grant';
        record.terminalAnswers.push(Date.now());
        return json(400, { error: 'invalid_grant' });
      }
      presented.retired = true;
      family = presented.family;
    }
    if (newest.has(family) && !due(family)) record.needless.push(`a ${family} grant at ${Date.now()} while its token was good until ${access.get(newest.get(family)!.accessToken)!.exp}`);
    call.outcome = 'granted';
    const tokens = issue(family, family !== 'machine', dead ? 0 : TTL);
    const body = { access_token: tokens.accessToken, token_type: options.dpop ? 'DPoP' : 'Bearer', expires_in: dead ? 0 : TTL / 1000, ...(tokens.refreshToken && { refresh_token: tokens.refreshToken }) };
    return json(200, body);
  }

  async function api(request: Request, url: URL): Promise<Response> {
    const [scheme, token] = (request.headers.get('authorization') ?? '').split(' ');
    const issued = access.get(token ?? '');
    const attempt: ApiAttempt = { at: Date.now(), family: issued?.family ?? '', offlinePeriod };
    const id = url.searchParams.get('id') ?? '';
    record.attempts.set(id, [...(record.attempts.get(id) ?? []), attempt]);
    await wait(Number(url.searchParams.get('delay') ?? 0));
    const flaky = options.apiFailures !== undefined && options.random !== undefined && options.random() < options.apiFailures;
    if (apiFaults > 0 || flaky) {
      if (!flaky) apiFaults--;
      attempt.outcome = '503';
      return new Response(null, { status: 503 });
    }
    const expected = issued?.bound ? 'DPoP' : 'Bearer';
    if (!good(issued) || scheme !== expected) {
      attempt.outcome = 'invalid_token';
      return new Response(null, { status: 401, headers: { 'www-authenticate': `${expected} error="invalid_token"` } });
    }
    const nonce = issued!.bound ? challenge('resource', request) : undefined;
    if (nonce !== undefined) {
      attempt.outcome = 'challenged';
      return new Response(null, { status: 401, headers: { 'www-authenticate': 'DPoP error="use_dpop_nonce"', 'dpop-nonce': nonce } });
    }
    attempt.outcome = 'ok';
    return json(200, { id });
  }

  const fetchThroughModel: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    if (offlinePeriod !== undefined) {
      // Offline: nothing reaches the server; the attempt is recorded so the invariants can count it.
      if (url.pathname === '/oauth/token') record.tokenCalls.push({ at: Date.now(), decidedAt: Date.now(), offlinePeriod, outcome: 'network' });
      else record.attempts.set(url.searchParams.get('id') ?? '', [...(record.attempts.get(url.searchParams.get('id') ?? '') ?? []), { at: Date.now(), family: '', offlinePeriod }]);
      throw new TypeError('fetch failed', { cause: new Error('ENETUNREACH') });
    }
    return url.pathname === '/oauth/token' ? tokenEndpoint(request) : api(request, url);
  };

  return {
    fetch: fetchThroughModel,
    record,
    signIn: (family: string) => issue(family, true),
    newest: (family: string) => newest.get(family),
    familyOf: (token: string | undefined) => access.get(token ?? '')?.family ?? refresh.get(token ?? '')?.family,
    expireAll() {
      for (const token of access.values()) token.exp = Math.min(token.exp, Date.now());
    },
    revokeFamily(family: string) {
      revokedFamilies.add(family);
    },
    failTokenCalls: (fault: TokenFault) => tokenFaults.push(fault),
    /** The next `count` API attempts answer 503 (a request's transient retries then meet its 401s: rule 7). */
    failApiCalls: (count: number) => (apiFaults += count),
    clearFaults() {
      tokenFaults.splice(0);
      apiFaults = 0;
    },
    get pendingFaults() {
      return tokenFaults.length;
    },
    rotateNonce(server: DpopServer) {
      nonces[server] = `n-${server[0]}${++serial}`;
    },
    storm(server: DpopServer, on: boolean) {
      storms[server] = on;
    },
    goOffline() {
      offlinePeriod = ++periods;
    },
    goOnline() {
      offlinePeriod = undefined;
    },
    get offline() {
      return offlinePeriod !== undefined;
    },
  };
}

export type ModelTokenServer = ReturnType<typeof createModelTokenServer>;
