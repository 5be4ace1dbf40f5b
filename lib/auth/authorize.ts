import { Observable, Subscriber, defer, throwError } from 'rxjs';
import type { CurrentToken, TokenAccess } from '../session/token-access.js';
import { isTokenRejection } from './is-token-rejection.js';
import { TokenRefreshError } from '../errors/token-refresh-error.js';
import { redactUrl } from '../util/redact-url.js';

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
export function authorize<T>(access: TokenAccess, send: Send<T>, config: AuthorizeConfig = {}): Observable<T> {
  return defer(() => authorizedAttempt(access, send, config, new SignInPin()));
}

/**
 * One attempt of {@link authorize}, held to `pin` (rule 18): the request path passes the pin of
 * the whole request, so that no transient retry sends another sign-in's token either. The
 * current token (rule 5), one send; on a rejection, the session's one refresh of the generation
 * sent (rules 1, 2), then one send more. What `take(1)`, `switchMap` and `catchError` did, as
 * one subscriber (see {@link Attempt}).
 */
export function authorizedAttempt<T>(access: TokenAccess, send: Send<T>, config: AuthorizeConfig, pin: SignInPin): Observable<T> {
  return new Observable<T>((subscriber) => new Attempt(subscriber, access, send, config, pin).start());
}

type Send<T> = (accessToken: string | null) => Observable<T>;

/**
 * The subscriber of one attempt's first send: values and completion go on downstream; a token
 * rejection is answered with the one refresh instead of failing. Written out rather than as
 * `take`, `switchMap` and `catchError`: with many requests in flight, each held a subscriber and
 * closures per operator across the wait (bench/analysis.md, "Issue 22, R6").
 */
class Attempt<T> extends Subscriber<T> {
  readonly #out: Subscriber<T>;
  readonly #access: TokenAccess;
  readonly #send: Send<T>;
  readonly #config: AuthorizeConfig;
  readonly #pin: SignInPin;
  #sent: CurrentToken | undefined;
  #rejection: unknown;

  constructor(out: Subscriber<T>, access: TokenAccess, send: Send<T>, config: AuthorizeConfig, pin: SignInPin) {
    super(out); // unsubscribing `out` unsubscribes this attempt, and the send it holds
    this.#out = out;
    this.#access = access;
    this.#send = send;
    this.#config = config;
    this.#pin = pin;
  }

  start(): void {
    this.#access.token().subscribe(new FirstToken(this, this.#out, false));
  }

  /** The token to send: the current one, or (`afterRejection`) the one after the rejected generation. */
  sendWith(token: CurrentToken, afterRejection: boolean): void {
    const refused = this.#pin.refusal(token);
    if (refused) return this.#out.error(refused);
    if (!afterRejection) {
      this.#sent = token;
      return void sendSafely(this.#send, token.accessToken).subscribe(this);
    }
    // Nothing to refresh with (signed out, no refresh token): the 401 stands.
    if (token.accessToken === null) return this.#out.error(this.#rejection);
    this.#config.onRetry?.();
    // A rejection of this send is the caller's error: no 401 loop.
    sendSafely(this.#send, token.accessToken).subscribe(this.#out);
  }

  protected override _error(error: unknown): void {
    const sent = this.#sent;
    let refresh: boolean;
    try {
      // `config`'s methods are called on it: the request path passes an object of its own per request.
      const config = this.#config;
      refresh = sent !== undefined && sent.accessToken !== null && (config.isRejection ? config.isRejection(error) : isTokenRejection(error)) && (!config.mayRetry || config.mayRetry());
    } catch (fault) {
      refresh = false;
      error = fault;
    }
    this.unsubscribe();
    if (!refresh || sent === undefined) return this.#out.error(error);
    this.#rejection = error;
    this.#access.token(sent.generation).subscribe(new FirstToken(this, this.#out, true));
  }
}

/** The first token an access emits (what `take(1)` did), handed to the attempt; its error ends the request. */
class FirstToken extends Subscriber<CurrentToken> {
  readonly #attempt: Attempt<never>;
  readonly #out: Subscriber<never>;
  readonly #afterRejection: boolean;

  constructor(attempt: Attempt<unknown>, out: Subscriber<unknown>, afterRejection: boolean) {
    super(out); // unsubscribing `out` stops the wait
    this.#attempt = attempt as Attempt<never>;
    this.#out = out as Subscriber<never>;
    this.#afterRejection = afterRejection;
  }

  protected override _next(token: CurrentToken): void {
    this.unsubscribe();
    this.#attempt.sendWith(token, this.#afterRejection);
  }

  protected override _error(error: unknown): void {
    this.unsubscribe();
    this.#out.error(error);
  }

  // No token: the request ends without a value, as `take(1)` of an empty source did.
  protected override _complete(): void {
    this.unsubscribe();
    this.#out.complete();
  }
}

// A throw of `send` (a token a header cannot carry) is the observable's error. (What `defer`
// does, without a subscriber more per attempt.)
function sendSafely<T>(send: Send<T>, accessToken: string | null): Observable<T> {
  try {
    return send(accessToken);
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
