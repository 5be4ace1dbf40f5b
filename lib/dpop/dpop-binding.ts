import { catchError, defer, from, map, of, switchMap, tap, throwError, type Observable, type ObservableInput } from 'rxjs';
import type { ClientAuthentication, DpopEndpointBinding } from '../session/token-access.js';
import type { DpopRequestBinding } from '../session/token-access.js';
import type { TokenSet } from '../session/token-set.js';
import type { ApiResponse } from '../transport/api-request.js';
import type { Transport } from '../transport/transport.js';
import type { DpopKey } from './dpop-key.js';
import { DpopKeyError } from './dpop-key-error.js';
import { createDpopNonces, type DpopNonces, type HeadersLike } from './dpop-nonces.js';
import { createDpopProof } from './dpop-proof.js';
import { isNonceChallenge } from './nonce-challenge.js';
import { refusedResourceProof, refusedTokenAnswer } from './proof-refusal.js';

/** What {@link dpopBinding} binds to. */
export interface DpopBindingConfig {
  /**
   * The key the tokens are bound to: a `DpopKey` (`createDpopKey`, `importDpopKey`), or the
   * promise of one (`createDpopKeyStore().load()`). While it cannot be had, every call that needs
   * it fails with its error (a `DpopKeyError`) and nothing is sent: never a refresh without the
   * proof the token is bound to (rule 15). It is loaded at once, so that the session can stamp
   * the tokens the app gives with its thumbprint. One binding, one key: a new key needs a new
   * binding (and new tokens); tokens bound to another key are refused (`DpopKeyError` `mismatch`).
   */
  readonly key: DpopKey | PromiseLike<DpopKey>;
  /** The nonce memory (per tab or process, docs/dpop.md). @default a new `createDpopNonces()` */
  readonly nonces?: DpopNonces;
  /** The clock for the proofs' `iat`, epoch ms. @default Date.now */
  readonly now?: () => number;
  /**
   * Discard a token response whose `token_type` is not `DPoP` (RFC 9449 §5): the grant fails
   * with a non-transient `TokenRefreshError` (reason `invalid-response`) instead of giving the
   * session a token a thief could replay. @default false: such a token is a Bearer token, sent
   * as `Bearer` without a proof (the refresh token stays bound: refreshes keep their proofs)
   */
  readonly requireBoundTokens?: boolean;
}

/** A session's DPoP: its key, its nonce memory, and the proofs it adds to the calls that need them. */
export interface DpopBinding extends DpopEndpointBinding, DpopRequestBinding {
  /** The key, once it is had; fails as {@link DpopBindingConfig.key} says. */
  key(): Promise<DpopKey>;
  /** The nonces the servers sent, per server and origin. */
  readonly nonces: DpopNonces;
}

/**
 * DPoP (RFC 9449) for the calls of one session: give it as the `dpop` option of
 * `oauth2RefreshGrant`, `oauth2Revocation` and `oauth2ClientCredentialsGrant`. Every POST then
 * carries a fresh proof (`htm` POST, `htu` the endpoint, the authorization server's latest nonce);
 * a `400 use_dpop_nonce` is sent once more with the nonce it brought, which spends nothing (the
 * server checks the nonce before the refresh token), and never counts as a refusal (rule 14); a
 * second challenge in a row is the grant's error, not a loop. The `DPoP-Nonce` of every answer is
 * remembered for the next call. A refused proof (`invalid_dpop_proof`: a clock far from the
 * server's, named by the `Date` of its answer, or another configuration problem) or a second
 * challenge fails the grant with a non-transient `TokenRefreshError` whose cause is a
 * `DpopProofError`: nothing is sent again and nothing revoked. Throws a TypeError at once on a
 * config it cannot use.
 *
 * Given to the session as well (`createTokenSession({ dpop })`), it sends the session's
 * DPoP-bound tokens (`tokenType: 'DPoP'`) to allowed origins as `Authorization: DPoP <token>`
 * with a proof carrying `ath`; a resource server's 401 `use_dpop_nonce` with a new nonce is sent
 * once more, never refreshed (rules 7, 14); a refused proof or a second challenge is the request's
 * `DpopProofError` (its cause the adapter's error), never a refresh.
 *
 * @example
 * const dpop = dpopBinding({ key: await createDpopKey() });
 * const refresh = oauth2RefreshGrant({ tokenUrl, clientId: 'web', dpop });
 * const revoke = oauth2Revocation({ revocationUrl: 'https://auth.example.com/oauth/revoke', clientId: 'web', dpop });
 */
export function dpopBinding(config: DpopBindingConfig): DpopBinding {
  if (typeof config !== 'object' || config === null) throw new TypeError('dpopBinding: pass a config object with `key`');
  const { key: given, now } = config;
  if (typeof given !== 'object' || given === null) throw new TypeError('dpopBinding: key must be a DpopKey or a promise of one');
  const nonces = config.nonces ?? createDpopNonces();
  if (typeof nonces.nonceFor !== 'function' || typeof nonces.learn !== 'function') throw new TypeError('dpopBinding: nonces must be a DpopNonces (createDpopNonces())');
  if (now !== undefined && typeof now !== 'function') throw new TypeError('dpopBinding: now must be a function returning epoch ms');
  const clock = now ?? Date.now;
  const requireBound = config.requireBoundTokens === true;
  let loaded: Promise<DpopKey> | undefined;
  const key = (): Promise<DpopKey> => (loaded ??= Promise.resolve(given).then(checkedKey));

  const proving = (authentication: ClientAuthentication | undefined): ClientAuthentication => (request, send) => {
    const sent: Transport = authentication ? (r) => authentication(r, send) : send;
    const attempt = (challenged: boolean): Observable<ApiResponse<unknown>> => {
      let nonce: string | undefined;
      return defer(async () => {
        const signer = await key();
        nonce = nonces.nonceFor('authorization', request.url);
        return createDpopProof(signer, { method: request.method, url: request.url, nonce, ...(now && { now }) });
      }).pipe(
        switchMap((proof) => sent({ ...request, headers: { ...request.headers, dpop: proof } })),
        switchMap((response) => {
          const learned = nonces.learn('authorization', request.url, response.headers);
          // Once, and only with a nonce the proof did not have: the same nonce again would be refused again.
          const retry = !challenged && learned !== undefined && learned !== nonce && isNonceChallenge({ ...response, oauthError: oauthErrorOf(response.body) });
          if (retry) return attempt(true);
          // A refused proof, a second challenge, an unbound token that must be bound: no tokens (docs/dpop.md).
          const refused = refusedTokenAnswer(request, response, challenged, clock(), requireBound);
          return refused ? throwError(() => refused) : of(response);
        }),
      );
    };
    return attempt(false);
  };

  const { theirs, withKey, stamp } = keyChecks(key, (given as Partial<DpopKey>).thumbprint);

  function sendWithProof<T>(method: string, url: string, accessToken: string, send: (authorization: string, headers: Readonly<Record<string, string>>) => Observable<T>, keyThumbprint?: string): Observable<T> {
    const authorization = `DPoP ${accessToken}`;
    // A nonce from any answer, a success's (whatever the adapter's response, read by its `headers`) or an error's.
    const learn = (answer: unknown): string | undefined => {
      const headers = (answer as { headers?: { get?: unknown } } | null)?.headers;
      return typeof headers?.get === 'function' ? nonces.learn('resource', url, headers as HeadersLike) : undefined;
    };
    const attempt = (challenged: boolean): Observable<T> => {
      let nonce: string | undefined;
      return defer(async () => {
        const signer = await theirs(keyThumbprint);
        nonce = nonces.nonceFor('resource', url);
        return createDpopProof(signer, { method, url, accessToken, nonce, ...(now && { now }) });
      }).pipe(
        switchMap((proof) => send(authorization, { dpop: proof })),
        tap((answer: T) => learn(answer)),
        catchError((error: unknown) => {
          const learned = learn(error);
          const status = (error as { status?: unknown } | null)?.status;
          // Once per attempt, and only with a nonce the proof did not have (rule 14).
          const retry = !challenged && learned !== undefined && learned !== nonce && typeof status === 'number' && isNonceChallenge({ status, headers: (error as { headers: HeadersLike }).headers });
          return retry ? attempt(true) : throwError(() => refusedResourceProof(error, method, url, accessToken, challenged, clock()) ?? error);
        }),
      );
    };
    return attempt(false);
  }
  return { key, nonces, proving, sendWithProof, withKey, stamp };
}

/**
 * Rule 15, one key per session: before tokens bound to a key (their `keyThumbprint`) are
 * refreshed, revoked or sent, the binding's key must be that key, else a `DpopKeyError`
 * `mismatch` and nothing is sent (oidc-provider ends the whole grant on a wrong key's refresh).
 * The key is loaded at once, so that tokens the app gives are stamped with its thumbprint.
 */
function keyChecks(key: () => Promise<DpopKey>, given: unknown): { theirs(bound: string | undefined): Promise<DpopKey> } & Pick<DpopBinding, 'withKey' | 'stamp'> {
  // The key's thumbprint: at once for a key given as it is, once loaded for the promise of one.
  let had = typeof given === 'string' ? given : undefined;
  const theirs = async (bound: string | undefined): Promise<DpopKey> => {
    const signer = await key();
    if (bound !== undefined && bound !== signer.thumbprint) throw mismatch(signer.thumbprint, bound);
    return signer;
  };
  // Loaded now; a key that cannot be had fails each call that needs it, not here.
  key().then((signer) => (had = signer.thumbprint), () => undefined);
  return {
    theirs,
    withKey: <T>(tokens: TokenSet | null | undefined, call: () => ObservableInput<T>): Observable<T> =>
      defer(() => theirs(tokens?.tokenType && tokens.keyThumbprint)).pipe(
        switchMap((signer) => from(call()).pipe(map((answer) => stamped(answer, signer.thumbprint)))),
      ),
    stamp(tokens) {
      if (!tokens.tokenType || had === undefined) return tokens;
      if (tokens.keyThumbprint !== undefined && tokens.keyThumbprint !== had) throw mismatch(had, tokens.keyThumbprint);
      return { ...tokens, keyThumbprint: had };
    },
  };
}

// A DPoP token set a grant answered, with the thumbprint of the key its proof was made with.
function stamped<T>(answer: T, keyThumbprint: string): T {
  const tokens = answer as TokenSet | null | undefined;
  return tokens?.tokenType === 'DPoP' && tokens.keyThumbprint === undefined ? ({ ...tokens, keyThumbprint } as T) : answer;
}

function mismatch(key: string, bound: string): DpopKeyError {
  return new DpopKeyError(
    'mismatch',
    `This DPoP key (thumbprint ${key}) is not the key the session's tokens are bound to (thumbprint ${bound}): nothing was sent, since the server would end the grant. Give every member of a shared session the same key (docs/dpop.md, "One key per session").`,
    { thumbprints: { key, tokens: bound } },
  );
}

function checkedKey(key: DpopKey): DpopKey {
  const { privateKey, publicJwk, algorithm } = (key ?? {}) as Partial<DpopKey>;
  if (typeof privateKey !== 'object' || typeof publicJwk !== 'object' || typeof algorithm !== 'string') {
    throw new TypeError('dpopBinding: key must be a DpopKey (createDpopKey, importDpopKey or a key store)');
  }
  return key;
}

// The `error` of a token endpoint's JSON body (RFC 6749 §5.2): the transport parses a failing
// answer's JSON body, a successful one's stays text.
function oauthErrorOf(body: unknown): string | undefined {
  let parsed = body;
  try {
    if (typeof body === 'string') parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const error: unknown = typeof parsed === 'object' && parsed !== null ? (parsed as { error?: unknown }).error : undefined;
  return typeof error === 'string' ? error : undefined;
}
