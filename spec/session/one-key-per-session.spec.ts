// Rule 15, "a key is part of a session" (issue 23): what the session does with its `dpop` binding
// around a refresh, a revocation and a request of DPoP-bound tokens, alone and shared in memory.
// The key's thumbprint travels with the token set (`keyThumbprint`, stamped by the binding); a
// member whose key differs, or that has no binding, sends nothing and gets a typed error, and
// neither it nor the session ends. On the lib before this change these fail: the refresh was
// sent with whatever key the member had (oidc-provider answers it with invalid_grant and ends the
// grant), and a session without a binding sent its DPoP-bound token as Bearer.
import { firstValueFrom, lastValueFrom, of, type Observable } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { createHttpClient } from '../../lib/client/create-http-client.js';
import { dpopBinding } from '../../lib/dpop/dpop-binding.js';
import { DpopKeyError } from '../../lib/dpop/dpop-key-error.js';
import { createDpopKey, type DpopKey } from '../../lib/dpop/dpop-key.js';
import { TokenRefreshError } from '../../lib/errors/token-refresh-error.js';
import { oauth2ClientCredentialsGrant } from '../../lib/oauth2/oauth2-client-credentials-grant.js';
import { oauth2RefreshGrant } from '../../lib/oauth2/oauth2-refresh-grant.js';
import { oauth2Revocation } from '../../lib/oauth2/oauth2-revocation.js';
import { createTokenSession, type TokenSession, type TokenSessionConfig } from '../../lib/session/create-token-session.js';
import type { SessionEvent } from '../../lib/session/session-event.js';
import { shareInMemory } from '../../lib/session/sharing/share-in-memory.js';
import type { ClientAuthentication } from '../../lib/session/token-access.js';
import type { TokenSet } from '../../lib/session/token-set.js';

const API = 'https://api.example.test';
const [keyA, keyB] = await Promise.all([createDpopKey(), createDpopKey()]);
/** DPoP-bound tokens, bound to `key` when given; expired unless `expiresAt` says otherwise. */
const bound = (key?: DpopKey, n = 1, expiresAt = Date.now() - 1): TokenSet => ({
  accessToken: `at-${n}`,
  refreshToken: `rt-${n}`,
  expiresAt,
  tokenType: 'DPoP',
  ...(key && { keyThumbprint: key.thumbprint }),
});

/** A refresh function that counts its calls and answers the next DPoP-bound tokens. */
function grant() {
  let n = 1;
  const refresh = vi.fn((_refreshToken: string): Observable<TokenSet> => of({ accessToken: `at-${++n}`, refreshToken: `rt-${n}`, expiresAt: Date.now() + 60_000, tokenType: 'DPoP' }));
  const revoke = vi.fn((_refreshToken: string) => of(undefined));
  return { refresh, revoke };
}

function member(config: Omit<TokenSessionConfig, 'refresh'> & Partial<Pick<TokenSessionConfig, 'refresh'>>) {
  const calls = grant();
  const session = createTokenSession({ refresh: calls.refresh, revoke: calls.revoke, ...config });
  const events: SessionEvent[] = [];
  session.events$.subscribe((event) => events.push(event));
  return { session, events, ...calls };
}

const refreshError = (session: TokenSession) => firstValueFrom(session.refresh$).then(
  () => expect.fail('the refresh succeeded'),
  (error: unknown) => error as TokenRefreshError,
);

/** A client of `session` whose fetch records what it was given. */
function client(session: TokenSession) {
  const fetch = vi.fn(async (_input: RequestInfo | URL, _init?: RequestInit) => Response.json({ ok: true }));
  return { api: createHttpClient({ baseUrl: API, session, fetch, retry: false }), fetch };
}

describe('one key per session (rule 15): a member whose key differs', () => {
  // The promise of key B: the session cannot check the tokens it starts with before B is had, as
  // with a state another member shared (the last describe shares one for real).
  const keyBLater = () => dpopBinding({ key: Promise.resolve(keyB) });

  it('refuses to refresh with a DpopKeyError `mismatch` naming both thumbprints: no call, the session goes on, no loop', async () => {
    const tokens = bound(keyA);
    const { session, events, refresh } = member({ tokens, dpop: keyBLater() });

    for (let attempt = 0; attempt < 3; attempt++) {
      const error = await refreshError(session);
      expect(error).toBeInstanceOf(TokenRefreshError);
      expect(error).toMatchObject({ transient: false, reason: 'refresh-function' });
      expect(error.cause).toBeInstanceOf(DpopKeyError);
      expect(error.cause).toMatchObject({ reason: 'mismatch', thumbprints: { key: keyB.thumbprint, tokens: keyA.thumbprint } });
      expect(error.message).toContain(keyA.thumbprint);
      expect(error.message).toContain(keyB.thumbprint);
      expect(error.message).not.toMatch(/at-1|rt-1/);
    }
    expect(refresh).not.toHaveBeenCalled();
    expect(session.state).toMatchObject({ revoked: false, tokens, generation: 0 });
    expect(events.map((e) => e.type)).toEqual(['refresh-started', 'refresh-failed', 'refresh-started', 'refresh-failed', 'refresh-started', 'refresh-failed']);
    session.dispose();
  });

  it('sends no request: a DpopKeyError `mismatch`, nothing fetched (the resource server would refuse the proof)', async () => {
    const { session } = member({ tokens: bound(keyA, 1, Date.now() + 60_000), dpop: keyBLater() });
    const { api, fetch } = client(session);

    await expect(lastValueFrom(api.get('/data'))).rejects.toMatchObject({ name: 'DpopKeyError', reason: 'mismatch' });
    expect(fetch).not.toHaveBeenCalled();
    session.dispose();
  });

  it('revokes nothing on signOut({ revoke: true }), and still signs out', async () => {
    const { session, revoke } = member({ tokens: bound(keyA, 1, Date.now() + 60_000), dpop: keyBLater() });
    session.signOut({ revoke: true });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(revoke).not.toHaveBeenCalled();
    expect(session.state.tokens).toBeNull();
    session.dispose();
  });

  it('with refreshAhead: the timer tries while the token lives and stops at its expiry, calling nothing (no loop)', async () => {
    const expiresAt = Date.now() + 1_500; // due 375 ms before expiry (a quarter of its life)
    const { session, events, refresh } = member({ tokens: bound(keyA, 1, expiresAt), dpop: keyBLater(), refreshAhead: true, refreshRetry: { baseDelay: 100, maxDelay: 100 } });
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt - Date.now()) + 300));
    const failed = events.filter((e) => e.type === 'refresh-failed').length;
    expect(failed).toBeGreaterThanOrEqual(1);
    expect(failed).toBeLessThanOrEqual(8);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(events.filter((e) => e.type === 'refresh-failed')).toHaveLength(failed);
    expect(refresh).not.toHaveBeenCalled();
    expect(session.state.revoked).toBe(false);
    session.dispose();
  });

  it('refuses tokens stamped with another key given to createTokenSession or setTokens, with the same error, at once', () => {
    const mismatch = expect.objectContaining({ name: 'DpopKeyError', reason: 'mismatch' });
    expect(() => member({ tokens: bound(keyA), dpop: dpopBinding({ key: keyB }) })).toThrow(mismatch);
    const { session } = member({ tokens: null, dpop: dpopBinding({ key: keyB }) });
    expect(() => session.setTokens(bound(keyA))).toThrow(mismatch);
    expect(session.state.tokens).toBeNull();
    session.dispose();
  });
});

describe('one key per session (rule 15): the member with the key', () => {
  it('refreshes, revokes and sends with it, and stamps the new tokens with its thumbprint', async () => {
    const { session, refresh, revoke } = member({ tokens: bound(keyA), dpop: dpopBinding({ key: keyA }) });
    const { api, fetch } = client(session);

    expect(await firstValueFrom(session.refresh$)).toMatchObject({ accessToken: 'at-2', tokenType: 'DPoP', keyThumbprint: keyA.thumbprint });
    expect(refresh).toHaveBeenCalledTimes(1);
    await lastValueFrom(api.get('/data'));
    const headers = new Headers(fetch.mock.calls[0]![1]?.headers);
    expect(headers.get('authorization')).toBe('DPoP at-2');
    expect(headers.get('dpop')).toEqual(expect.any(String));
    session.signOut({ revoke: true });
    await vi.waitFor(() => expect(revoke).toHaveBeenCalledWith('rt-2', expect.objectContaining({ proving: expect.any(Function) })));
    session.dispose();
  });

  it('stamps DPoP-bound tokens the app gives (tokens, setTokens) with its key, and leaves Bearer tokens alone', () => {
    const { session } = member({ tokens: bound(undefined, 1), dpop: dpopBinding({ key: keyA }) });
    expect(session.state.tokens).toEqual(bound(keyA, 1, session.state.tokens!.expiresAt));
    session.setTokens(bound(undefined, 5));
    expect(session.state.tokens?.keyThumbprint).toBe(keyA.thumbprint);
    session.setTokens({ accessToken: 'bearer', refreshToken: 'r' });
    expect(session.state.tokens).toEqual({ accessToken: 'bearer', refreshToken: 'r' });
    session.dispose();
  });

  it('with the promise of a key: tokens given before it is had are stamped by their first refresh, those given after at once', async () => {
    let resolve!: (key: DpopKey) => void;
    const { session, refresh } = member({ tokens: bound(undefined, 1), dpop: dpopBinding({ key: new Promise<DpopKey>((r) => (resolve = r)) }) });
    expect(session.state.tokens).not.toHaveProperty('keyThumbprint');
    resolve(keyA);
    expect(await firstValueFrom(session.refresh$)).toMatchObject({ keyThumbprint: keyA.thumbprint });
    expect(refresh).toHaveBeenCalledTimes(1);
    session.setTokens(bound(undefined, 7));
    expect(session.state.tokens?.keyThumbprint).toBe(keyA.thumbprint);
    session.dispose();
  });

  it('a key that cannot be had (DpopKeyError `lost`) fails the refresh with it and sends nothing', async () => {
    const lost = new DpopKeyError('lost', 'No DPoP key is stored under id "default"');
    const { session, refresh } = member({ tokens: bound(keyA), dpop: dpopBinding({ key: Promise.reject(lost) }) });
    const error = await refreshError(session);
    expect(error.cause).toBe(lost);
    expect(refresh).not.toHaveBeenCalled();
    expect(session.state.revoked).toBe(false);
    session.dispose();
  });
});

describe('one key per session (rule 15): DPoP-bound tokens in a session without a `dpop` binding', () => {
  it('refuses to refresh them with a TypeError naming the option: no call', async () => {
    const { session, refresh } = member({ tokens: bound(keyA) });
    const error = await refreshError(session);
    expect(error).toMatchObject({ transient: false });
    expect(error.cause).toBeInstanceOf(TypeError);
    expect((error.cause as Error).message).toContain('`dpop`');
    expect(refresh).not.toHaveBeenCalled();
    expect(session.state.revoked).toBe(false);
    session.dispose();
  });

  it('never sends them as Bearer: the request fails with that TypeError, nothing fetched', async () => {
    const { session } = member({ tokens: bound(keyA, 1, Date.now() + 60_000) });
    const { api, fetch } = client(session);
    await expect(lastValueFrom(api.get('/data'))).rejects.toThrow(TypeError);
    await expect(lastValueFrom(api.get('/data'))).rejects.toThrow(/`dpop` option/);
    expect(fetch).not.toHaveBeenCalled();
    session.dispose();
  });

  it('revokes nothing', async () => {
    const { session, revoke } = member({ tokens: bound(keyA, 1, Date.now() + 60_000) });
    session.signOut({ revoke: true });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(revoke).not.toHaveBeenCalled();
    session.dispose();
  });

  it('still refreshes and sends Bearer tokens as before', async () => {
    const bearer = vi.fn((_refreshToken: string) => of({ accessToken: 'b2', refreshToken: 'r2', expiresAt: Date.now() + 60_000 }));
    const { session } = member({ tokens: { accessToken: 'b1', refreshToken: 'r1', expiresAt: Date.now() - 1 }, refresh: bearer });
    const { api, fetch } = client(session);
    await lastValueFrom(api.get('/data'));
    expect(new Headers(fetch.mock.calls[0]![1]?.headers).get('authorization')).toBe('Bearer b2');
    session.dispose();
  });
});

describe('one key per session (rule 15): members sharing one session in memory', () => {
  it('the thumbprint travels with the shared state: the member with another key refuses, the one with the key refreshes once, the session lives', async () => {
    const share = shareInMemory();
    const a = member({ tokens: null, share, dpop: dpopBinding({ key: keyA }) });
    const b = member({ tokens: null, share, dpop: dpopBinding({ key: keyB }) });
    a.session.setTokens(bound(undefined, 1));
    await vi.waitFor(() => expect(b.session.state.tokens?.accessToken).toBe('at-1'));
    expect(b.session.state.tokens?.keyThumbprint).toBe(keyA.thumbprint);

    const refused = await refreshError(b.session);
    expect(refused.cause).toMatchObject({ reason: 'mismatch', thumbprints: { key: keyB.thumbprint, tokens: keyA.thumbprint } });
    expect(b.refresh).not.toHaveBeenCalled();

    expect(await firstValueFrom(a.session.refresh$)).toMatchObject({ accessToken: 'at-2', keyThumbprint: keyA.thumbprint });
    expect(a.refresh).toHaveBeenCalledTimes(1);
    await vi.waitFor(() => expect(b.session.state.tokens?.accessToken).toBe('at-2'));
    expect([a.session.state.revoked, b.session.state.revoked]).toEqual([false, false]);
    // Still refused after the other member's refresh: the new tokens are bound to key A too.
    expect((await refreshError(b.session)).cause).toMatchObject({ reason: 'mismatch' });
    expect(b.refresh).not.toHaveBeenCalled();
    a.session.dispose();
    b.session.dispose();
  });
});

describe('createTokenSession: the `dpop` option', () => {
  it.each([
    ['an object of another kind', {}],
    ['null', null],
    ['a string', 'dpop'],
    ['a request half alone', { sendWithProof: () => of(null) }],
  ])('is a TypeError naming it: %s', (_kind, dpop) => {
    expect(() => createTokenSession({ refresh: grant().refresh, dpop } as unknown as TokenSessionConfig)).toThrow(new TypeError('createTokenSession: `dpop` must come from dpopBinding()'));
  });
});

// Rule 15's last clause: no refresh is ever sent without the proof the token is bound to, and
// issue 23's one option for everything the session authorizes. The grants of the library say
// which binding they prove with: the grant's binding serves a session that has none, and a
// session lends its binding to a grant or revocation of ours that has none (without it they would
// send the bound refresh token bare, which oidc-provider answers with a grant-ending invalid_grant).
describe('createTokenSession: the `dpop` of the session and of its refresh grant', () => {
  const TOKEN_URL = 'https://auth.example.test/oauth/token';
  const REVOKE_URL = 'https://auth.example.test/oauth/revoke';
  /** A fetch for the token endpoint that records the DPoP header of each call and answers DPoP-bound tokens. */
  function tokenEndpoint() {
    const proofs: (string | null)[] = [];
    let n = 1;
    const fetch = vi.fn(async (_input: RequestInfo | URL, init?: RequestInit) => {
      proofs.push(new Headers(init?.headers).get('dpop'));
      return Response.json({ access_token: `at-${++n}`, refresh_token: `rt-${n}`, token_type: 'DPoP', expires_in: 60 });
    });
    return { fetch, proofs };
  }

  it('a session without `dpop` takes its grant’s: the refresh carries a proof, the tokens are stamped, requests go as DPoP', async () => {
    const endpoint = tokenEndpoint();
    const dpop = dpopBinding({ key: keyA });
    const session = createTokenSession({ tokens: bound(keyA), refresh: oauth2RefreshGrant({ tokenUrl: TOKEN_URL, clientId: 'web', dpop, fetch: endpoint.fetch }) });
    const { api, fetch } = client(session);

    expect(await firstValueFrom(session.refresh$)).toMatchObject({ accessToken: 'at-2', tokenType: 'DPoP', keyThumbprint: keyA.thumbprint });
    expect(endpoint.proofs).toEqual([expect.any(String)]);
    await lastValueFrom(api.get('/data'));
    const headers = new Headers(fetch.mock.calls[0]![1]?.headers);
    expect(headers.get('authorization')).toBe('DPoP at-2');
    expect(headers.get('dpop')).toEqual(expect.any(String));
    session.dispose();
  });

  it('the grant’s binding holds the session to its key: tokens of another key are refused, nothing sent', async () => {
    const endpoint = tokenEndpoint();
    const session = createTokenSession({ tokens: bound(keyB), refresh: oauth2RefreshGrant({ tokenUrl: TOKEN_URL, clientId: 'web', dpop: dpopBinding({ key: Promise.resolve(keyA) }), fetch: endpoint.fetch }) });
    const error = await refreshError(session);
    expect(error.cause).toMatchObject({ name: 'DpopKeyError', reason: 'mismatch' });
    expect(endpoint.fetch).not.toHaveBeenCalled();
    session.dispose();
  });

  it('a session with `dpop` lends it to a refresh grant and a revocation of the library that have none: each call carries a proof', async () => {
    const endpoint = tokenEndpoint();
    const session = createTokenSession({
      tokens: bound(keyA),
      refresh: oauth2RefreshGrant({ tokenUrl: TOKEN_URL, clientId: 'web', fetch: endpoint.fetch }),
      revoke: oauth2Revocation({ revocationUrl: REVOKE_URL, clientId: 'web', fetch: endpoint.fetch }),
      dpop: dpopBinding({ key: keyA }),
    });
    expect(await firstValueFrom(session.refresh$)).toMatchObject({ accessToken: 'at-2', keyThumbprint: keyA.thumbprint });
    session.signOut({ revoke: true });
    await vi.waitFor(() => expect(endpoint.proofs).toHaveLength(2));
    expect(endpoint.fetch.mock.calls.map(([url]) => String(url))).toEqual([TOKEN_URL, REVOKE_URL]);
    expect(endpoint.proofs).toEqual([expect.any(String), expect.any(String)]);
    session.dispose();
  });

  it('a machine session with `dpop` lends it to its client credentials grant', async () => {
    const endpoint = tokenEndpoint();
    const session = createTokenSession({ tokens: 'fetch', refresh: oauth2ClientCredentialsGrant({ tokenUrl: TOKEN_URL, clientId: 'svc', clientSecret: 's', fetch: endpoint.fetch }), dpop: dpopBinding({ key: keyA }) });
    expect(await firstValueFrom(session.refresh$)).toMatchObject({ tokenType: 'DPoP', keyThumbprint: keyA.thumbprint });
    expect(endpoint.proofs).toEqual([expect.any(String)]);
    session.dispose();
  });

  it('a grant given only an endpoint half of a binding (its own `proving`) lends nothing: Bearer tokens refresh as before', async () => {
    const endpoint = tokenEndpoint();
    const proving = vi.fn((authentication: ClientAuthentication | undefined): ClientAuthentication => authentication ?? ((request, send) => send(request)));
    const refresh = oauth2RefreshGrant({ tokenUrl: TOKEN_URL, clientId: 'web', dpop: { proving }, fetch: endpoint.fetch });
    const session = createTokenSession({ tokens: { accessToken: 'at-1', refreshToken: 'rt-1', expiresAt: Date.now() - 1 }, refresh });
    expect(await firstValueFrom(session.refresh$)).toMatchObject({ accessToken: 'at-2' });
    expect(endpoint.fetch).toHaveBeenCalledTimes(1);
    session.dispose();
  });

  it('a refresh function of the app’s own (which says nothing of DPoP) is taken with the session’s `dpop`', async () => {
    const { session, refresh } = member({ tokens: bound(keyA), dpop: dpopBinding({ key: keyA }) });
    await firstValueFrom(session.refresh$);
    expect(refresh).toHaveBeenCalledTimes(1);
    session.dispose();
  });
});
