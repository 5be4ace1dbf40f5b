import { catchError, defer, switchMap, take, throwError, type Observable } from 'rxjs';
import type { CurrentToken, TokenAccess } from '../session/token-access.js';
import { TokenRefreshError } from '../errors/token-refresh-error.js';
import { redactUrl } from '../util/redact-url.js';
import { HttpError } from '../errors/request-error.js';

/** Sends one attempt with `accessToken` (`null`: none), as `tokenType` says: `'DPoP'`, or Bearer when absent. */
export type TokenSend<T> = (accessToken: string | null, tokenType?: 'DPoP') => Observable<T>;

/** Options of {@link authorize}. */
export interface AuthorizeConfig {
  /** Which errors mean the token was rejected. @default isTokenRejection */
  readonly isRejection?: (error: unknown) => boolean;
  /**
   * Whether a rejection may still be answered with a fresh token. The request path uses it to
   * give a request ONE such retry across all its transient retries (rule 7).
   * @default always: one retry per subscription
   */
  readonly mayRetry?: () => boolean;
  /** Called just before the request is sent again with a fresh token. */
  readonly onRetry?: () => void;
}

/**
 * The auth step on its own, for any transport: calls `send` with the session's access token
 * (`null` when signed out), and when the token is rejected, waits for the session's one refresh
 * of that generation and calls `send` once more. A second rejection is the caller's error: no
 * 401 loop. `send` must return a cold observable, since it may be subscribed twice. A retry
 * that would carry a token of another sign-in than the first send's (the user signed in or out
 * meanwhile, rule 18) is not sent: the observable fails with a `TokenRefreshError`,
 * reason `sign-in-changed`.
 *
 * @example
 * authorize(session, (token) => ajax({ url, headers: token ? { Authorization: `Bearer ${token}` } : {} }), {
 *   isRejection: (e) => e instanceof AjaxError && e.status === 401,
 * })
 */
export function authorize<T>(access: TokenAccess, send: TokenSend<T>, config: AuthorizeConfig = {}): Observable<T> {
  return defer(() => authorizedAttempt(access, send, config, new SignInPin()));
}

// Built once: `take` keeps its count per subscription, not in the operator.
const firstToken = take<CurrentToken>(1);

/**
 * One attempt of {@link authorize}, held to `pin` (rule 18): the request path passes the pin
 * of the whole request, so that no transient retry sends another sign-in's token either.
 * The current token (rule 5), one send; on a rejection, a `switchMap` onto the session's one
 * refresh of the generation sent (rules 1, 2), then one send more.
 */
export function authorizedAttempt<T>(access: TokenAccess, send: TokenSend<T>, config: AuthorizeConfig, pin: SignInPin): Observable<T> {
  // `mayRetry` and `onRetry` are called as `config`'s methods (the request path passes an object
  // of its own per request); `isRejection` is a plain function.
  const isRejection = config.isRejection ?? isTokenRejection;
  return access.token().pipe(
    firstToken,
    switchMap((sent) =>
      sendHeld(pin, send, sent).pipe(
        catchError((error: unknown) => {
          if (sent.accessToken === null || !isRejection(error) || (config.mayRetry && !config.mayRetry())) return throwError(() => error);
          return access.token(sent.generation).pipe(
            switchMap((fresh) => {
              const refused = pin.refusal(fresh);
              if (refused) return throwError(() => refused);
              // Nothing to refresh with (signed out, no refresh token): the 401 stands.
              if (fresh.accessToken === null) return throwError(() => error);
              config.onRetry?.();
              return sendSafely(send, fresh);
            }),
          );
        }),
      ),
    ),
  );
}

// `send(token)`, unless the pin refuses the token's sign-in (rule 18).
function sendHeld<T>(pin: SignInPin, send: TokenSend<T>, token: CurrentToken): Observable<T> {
  const refused = pin.refusal(token);
  return refused ? throwError(() => refused) : sendSafely(send, token);
}

// A throw of `send` (a token a header cannot carry) is the observable's error. (What `defer`
// does, without a subscriber more per attempt.)
function sendSafely<T>(send: TokenSend<T>, { accessToken, tokenType }: CurrentToken): Observable<T> {
  try {
    return send(accessToken, tokenType);
  } catch (error) {
    return throwError(() => error);
  }
}

/**
 * What one request remembers of the sign-in whose token it sent first (rule 18): a later
 * attempt (after a refresh, a backoff, a late 401) with a token of another sign-in, or with none
 * after a sign-out, is refused. A request that has not sent a token yet takes whatever is current.
 * A sign-in the session does not know (a state stored by an older version) is never refused.
 */
export class SignInPin {
  readonly #method: string | undefined;
  readonly #url: string | undefined;
  #sent = false;
  #signIn: string | undefined;

  /** `method` and `url` name the request in the error, when known. */
  constructor(method?: string, url?: string) {
    this.#method = method;
    this.#url = url;
  }

  /** `undefined` when `current` may be sent (its sign-in is pinned at the first token), else the error to end the request with. */
  refusal(current: CurrentToken): TokenRefreshError | undefined {
    if (!this.#sent) {
      if (current.accessToken === null) return undefined;
      this.#sent = true;
      this.#signIn = current.signIn;
      return undefined;
    }
    const pinned = this.#signIn;
    if (pinned === undefined || current.signIn === undefined || current.signIn === pinned) return undefined;
    return signInChanged(this.#method, this.#url);
  }
}

function signInChanged(method: string | undefined, url: string | undefined): TokenRefreshError {
  const request = method === undefined || url === undefined ? 'The request' : `${method} ${redactUrl(url)}`;
  return new TokenRefreshError(`${request} was not sent again: the user signed in or out while it waited`, { reason: 'sign-in-changed' });
}
/**
 * Whether an error means "this access token is no good", the only case a refresh can mend:
 * a 401 whose `WWW-Authenticate` names no error or `invalid_token` (RFC 6750 §3.1). A 401 naming
 * another error (`insufficient_scope`, DPoP's `use_dpop_nonce` and `invalid_dpop_proof`) and
 * every 403 are not, also when another of its challenges says `invalid_token` (`Bearer
 * error="invalid_token", DPoP error="invalid_dpop_proof"`): a fresh token would meet the same
 * refusal of its proof.
 * (The request path also requires the 401 to come from an origin allowed to receive the
 * token: see `HttpError.responseUrl`.)
 */
export function isTokenRejection(error: unknown): error is HttpError {
  if (!(error instanceof HttpError) || error.status !== 401) return false;
  const challenge = error.headers.get('www-authenticate');
  if (!challenge) return true;
  // Every error any of its challenges names (RFC 9110 §11.6.1: one header, several challenges).
  return [...challenge.matchAll(/(?:^|[\s,])error\s*=\s*"?([^",\s]*)/gi)].every(([, named]) => named === '' || named === 'invalid_token');
}
