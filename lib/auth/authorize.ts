import { Observable, Subscription, switchMap, throwError, type Observer } from 'rxjs';
import { passThrough, subscribeChecked } from '../util/subscribe-checked.js';
import type { CurrentToken, TokenAccess } from '../session/token-access.js';
import { isTokenRejection } from './is-token-rejection.js';
import { SignInPin } from './sign-in-pin.js';

/** Options of {@link authorize}. */
export interface AuthorizeConfig {
  /** Which errors mean the token was rejected. @default isTokenRejection */
  readonly isRejection?: (error: unknown) => boolean;
  /**
   * Whether a rejection may still be answered with a fresh token. The request pipeline uses it to
   * give a request ONE such retry across all its transient retries (DESIGN rule 7).
   * @default once per subscription
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
 * meanwhile, DESIGN rule 18) is not sent: the observable fails with a `TokenRefreshError`,
 * reason `sign-in-changed`.
 *
 * @example
 * authorize(session, (token) => ajax({ url, headers: token ? { Authorization: `Bearer ${token}` } : {} }), {
 *   isRejection: (e) => e instanceof AjaxError && e.status === 401,
 * })
 */
export function authorize<T>(access: TokenAccess, send: (accessToken: string | null) => Observable<T>, config: AuthorizeConfig = {}): Observable<T> {
  return new Observable<T>((subscriber) => {
    const subscription = new Subscription();
    authorizeInto(access, { send }, passThrough, config, subscriber, subscription);
    return subscription;
  });
}

/** What {@link authorizeInto} sends through: an object, so the request pipeline's own needs no closure per request. */
export interface TokenSender<R> {
  send(accessToken: string | null): Observable<R>;
  /** The sign-in the request is held to across its attempts (rule 18); without it, one per call of `authorizeInto`. */
  readonly pin?: SignInPin;
}

/**
 * {@link authorize} without an observable of its own, for the request pipeline: sends for
 * `observer`, each response through `check` (a failing status becomes the error a rejection is
 * recognised in), and puts every subscription into `subscription`. The hot path is one
 * subscriber: the token (at once when the session can say it without a wait), then one send;
 * operators only after a rejection. `config`'s functions are called as its methods.
 */
export function authorizeInto<R, T>(
  access: TokenAccess,
  sender: TokenSender<R>,
  check: (response: R) => T,
  config: AuthorizeConfig,
  observer: Observer<T>,
  subscription: Subscription,
): void {
  const attempt = new AuthorizedAttempt(access, sender, sender.pin ?? new SignInPin(), check, config, observer, subscription);
  const now = access.tokenNow?.();
  if (now) attempt.sendWith(now);
  else subscription.add(firstToken(access, observer, attempt));
}

// One request's first send with the session's token, and the one retry after a rejection of it.
class AuthorizedAttempt<R, T> implements Observer<T> {
  readonly #access: TokenAccess;
  readonly #sender: TokenSender<R>;
  readonly #pin: SignInPin;
  readonly #check: (response: R) => T;
  readonly #config: AuthorizeConfig;
  readonly #observer: Observer<T>;
  readonly #subscription: Subscription;
  #current: CurrentToken | undefined;

  constructor(access: TokenAccess, sender: TokenSender<R>, pin: SignInPin, check: (response: R) => T, config: AuthorizeConfig, observer: Observer<T>, subscription: Subscription) {
    this.#access = access;
    this.#sender = sender;
    this.#pin = pin;
    this.#check = check;
    this.#config = config;
    this.#observer = observer;
    this.#subscription = subscription;
  }

  sendWith(current: CurrentToken): void {
    const refused = this.#pin.refusal(current);
    if (refused) return this.#observer.error(refused);
    this.#current = current;
    this.#subscription.add(subscribeChecked(sendSafely(this.#sender, current.accessToken), this.#check, this));
  }

  next(value: T): void {
    this.#observer.next(value);
  }

  error(error: unknown): void {
    const config = this.#config;
    const current = this.#current as CurrentToken;
    const rejected = current.accessToken !== null && (config.isRejection ? config.isRejection(error) : isTokenRejection(error));
    if (!rejected || (config.mayRetry && !config.mayRetry())) return this.#observer.error(error);
    this.#subscription.add(subscribeChecked(afterRejection(this.#access, this.#sender, this.#pin, current.generation, error, config), this.#check, this.#observer));
  }

  complete(): void {
    this.#observer.complete();
  }
}

/** `sender.send(token)`, with a throw of it (a token a header cannot carry) as the observable's error. */
function sendSafely<R>(sender: TokenSender<R>, accessToken: string | null): Observable<R> {
  try {
    return sender.send(accessToken);
  } catch (error) {
    return throwError(() => error);
  }
}

// Waits for the session's token (a refresh or the store's first read), then sends once.
function firstToken<T>(access: TokenAccess, observer: Observer<T>, attempt: { sendWith(current: CurrentToken): void }): Subscription {
  let sent = false;
  return access.currentToken().subscribe({
    next(current) {
      if (sent) return;
      sent = true;
      attempt.sendWith(current);
    },
    error: (error: unknown) => observer.error(error),
    complete() {
      if (!sent) observer.complete();
    },
  });
}

// After a rejection of the token of `generation`: the one refresh of it, then `send` once more.
function afterRejection<T>(access: TokenAccess, sender: TokenSender<T>, pin: SignInPin, generation: number, rejection: unknown, config: AuthorizeConfig): Observable<T> {
  return access.tokenAfterRejection(generation).pipe(
    switchMap((next) => {
      // Another sign-in's token, or a sign-out, since the first send (rule 18): not sent.
      const refused = pin.refusal(next);
      if (refused) return throwError(() => refused);
      // Nothing to refresh with: the 401 stands.
      if (next.accessToken === null) return throwError(() => rejection);
      config.onRetry?.();
      return sendSafely(sender, next.accessToken);
    }),
  );
}
