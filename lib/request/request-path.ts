import { defer, identity, type MonoTypeOperatorFunction, type Observable, type SchedulerLike } from 'rxjs';
import { authorizedAttempt, SignInPin, type AuthorizeConfig, isTokenRejection } from '../auth/authorize.js';
import { isHeaderValue } from '../util/header-syntax.js';
import { redactUrl } from '../util/redact-url.js';
import type { RetryBackoffConfig } from '../retry/retry-backoff.js';
import type { TokenAccess } from '../session/token-access.js';
import type { OutgoingRequest, RequestPathConfig, SendAttempt } from './outgoing-request.js';
import { requestDeadline } from './request-deadline.js';
import { retryTransient } from './retry-transient.js';
import { stopWhenSessionEnds } from './stop-when-session-ends.js';

export type { OutgoingRequest, RequestPathConfig, SendAttempt } from './outgoing-request.js';

/** Runs one request through the steps every adapter shares. */
export type RequestPath = <T>(request: OutgoingRequest, send: SendAttempt<T>) => Observable<T>;

/**
 * The ONE request path, shared by `createHttpClient` and the Angular interceptor. Read top
 * to bottom, one request:
 * - the attempt: on an allowed origin it takes the session's current token (rule 5) and sends it
 *   as `Authorization: Bearer`; a token rejection from an allowed origin `switchMap`s onto the
 *   session's one refresh and is sent once more, once per request however many transient retries
 *   it makes (rules 1, 2, 7), and never with another sign-in's token (rule 18);
 * - transient errors go through {@link retryBackoff} (rules 6, 8), each retry a `request-retried`
 *   event on the session's `events$`;
 * - the session's end (revocation) stops it at once;
 * - one deadline bounds it all: attempts, backoff waits and the wait for a refresh (rule 13).
 */
export function createRequestPath({ access, allowList, scheduler }: RequestPathConfig): RequestPath {
  // A 401 from an origin that may not receive the token (reached by a redirect) never refreshes.
  const isRejection = (error: unknown): boolean => isTokenRejection(error) && allowList.allows(error.responseUrl);
  const retryOf = retryPerConfig(access, scheduler);
  // Built once: the requests in flight share one subscription to the session's end.
  const stopOnSessionEnd = access && stopWhenSessionEnds<unknown>(access.revoked$);
  const authorization = bearerOnce();

  return <T>(request: OutgoingRequest, send: SendAttempt<T>): Observable<T> => {
    const { method, url } = request;
    const attempt = (token: string | null, tokenType?: 'DPoP'): Observable<T> =>
      // A DPoP-bound token with the session's binding: `DPoP <token>` and a proof (rule 15).
      (tokenType && access?.dpop ? access.dpop.sendWithProof(method, url, token!, send) : send(token === null ? null : authorization(token))).pipe(requestDeadline(request.attemptTimeout, method, url, scheduler));
    if (!access || !request.auth || !allowList.allows(url)) {
      return defer(() => attempt(null)).pipe(retryOf(request.retry), requestDeadline(request.timeout, method, url, scheduler));
    }
    return defer(() => {
      const pin = new SignInPin(method, url); // rule 18, across every attempt of this request
      return authorizedAttempt(access, attempt, new OneRefresh(access, isRejection, method, url), pin).pipe(
        retryOf(request.retry),
        stopOnSessionEnd as MonoTypeOperatorFunction<T>,
        requestDeadline(request.timeout, method, url, scheduler),
      );
    });
  };
}

// Rule 7: a request answers ONE token rejection with a fresh token, however many transient
// retries it makes, and reports it. One object per request, where closures made four.
class OneRefresh implements AuthorizeConfig {
  readonly #access: TokenAccess;
  readonly #method: string;
  readonly #url: string;
  #used = false;

  constructor(access: TokenAccess, readonly isRejection: (error: unknown) => boolean, method: string, url: string) {
    this.#access = access;
    this.#method = method;
    this.#url = url;
  }

  mayRetry(): boolean {
    return !this.#used && (this.#used = true);
  }

  onRetry(): void {
    this.#access.report({ type: 'request-retried', method: this.#method, url: redactUrl(this.#url), reason: 'unauthorized', attempt: 1 });
  }
}

// RFC 9110 §9.2.2; POST and PATCH only with an Idempotency-Key or the caller's word.
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/**
 * Whether a request may be sent again after a transient error (rule 8): an idempotent
 * method, an `Idempotency-Key` header, or the caller's explicit opt-in. Adapters ask it to
 * build {@link OutgoingRequest.retry}.
 */
export function mayRetryTransient(method: string, hasIdempotencyKey: boolean, optedIn = false): boolean {
  // The client and Angular pass methods upper-cased already: no new string per request for them.
  return optedIn || hasIdempotencyKey || IDEMPOTENT_METHODS.has(method) || IDEMPOTENT_METHODS.has(method.toUpperCase());
}

// One retryTransient per config object: the requests that keep the client's config share it
// (an operator holds no state of its own; each subscription has its own count).
function retryPerConfig(access: TokenAccess | undefined, scheduler: SchedulerLike): <T>(config: RetryBackoffConfig | undefined) => MonoTypeOperatorFunction<T> {
  const built = new WeakMap<RetryBackoffConfig, MonoTypeOperatorFunction<unknown>>();
  return <T>(config: RetryBackoffConfig | undefined): MonoTypeOperatorFunction<T> => {
    if (config === undefined || config.maxRetries === 0) return identity;
    let operator = built.get(config);
    if (!operator) built.set(config, (operator = retryTransient(config, access, scheduler)));
    return operator as MonoTypeOperatorFunction<T>;
  };
}

// The `Authorization` header value of a token. Every request of a generation sends the same
// token: its header syntax is checked once, not per attempt. A token with characters a header
// cannot carry (a control character, a line break) is a TypeError that never quotes the token:
// sent, undici would refuse it with a message that does, and the error would land in logs.
function bearerOnce(): (token: string) => string {
  let last: string | undefined;
  let value = '';
  return (token) => {
    if (token !== last) {
      const header = `Bearer ${token}`;
      if (!isHeaderValue(header)) throw new TypeError('Invalid Authorization header: the access token contains characters not allowed in a header');
      value = header;
      last = token;
    }
    return value;
  };
}
