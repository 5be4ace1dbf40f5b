import { Subscription, type Observable, type Observer, type SchedulerAction, type SchedulerLike, type Subscriber, type Unsubscribable } from 'rxjs';
import { authorizeInto, type AuthorizeConfig, type TokenSender } from '../auth/authorize.js';
import { isTokenRejection } from '../auth/is-token-rejection.js';
import { SignInPin } from '../auth/sign-in-pin.js';
import { RequestError } from '../errors/request-error.js';
import { RequestTimeoutError } from '../errors/request-timeout-error.js';
import { TokenRefreshError } from '../errors/token-refresh-error.js';
import { TokenRevokedError } from '../errors/token-revoked-error.js';
import { backoffPolicy, type BackoffPolicy, type RetryBackoffConfig } from '../retry/retry-backoff.js';
import type { TokenAccess } from '../session/token-access.js';
import { redactUrl } from '../util/redact-url.js';
import { callSafely, subscribeChecked } from '../util/subscribe-checked.js';
import { bearer } from './bearer.js';
import { requestDeadline, startDeadline, type Deadline, type DeadlineTarget } from './request-deadline.js';
import type { PipelineRequest, RequestPipelineConfig, SendAttempt } from './pipeline-request.js';
import { revocationWatch, type Revocable, type RevocationWatch } from './revocation-watch.js';

/**
 * Runs one request for `subscriber` and returns its teardown: what the pipeline's observable does
 * when subscribed, for an adapter that has a subscriber already (the client's call). Each
 * response of `send` goes through `check` (a failing status becomes the error that a 401 is
 * recognised in and a 5xx retried on), and what `check` returns is emitted.
 */
export type RunRequest = <R, T>(request: PipelineRequest, send: SendAttempt<R>, check: (response: R) => T, subscriber: Subscriber<T>) => Unsubscribable;

/** What the requests of one pipeline share. */
interface Runner {
  readonly access: TokenAccess | undefined;
  readonly watch: RevocationWatch | undefined;
  readonly isRejection: (error: unknown) => boolean;
  readonly authorization: (token: string) => string;
}

/**
 * The steps every request takes, in this order: the whole-request deadline (rule 13), a stop on
 * the session's revocation, then the attempts: `Authorization: Bearer` on allowed origins,
 * {@link authorizeInto} (one refresh at most per request, DESIGN rule 7, however many transient
 * retries it makes), and the transient retries with backoff. One object per request holds all
 * of it ({@link RequestRun}); no operator per request.
 */
export function createRequestRunner(config: RequestPipelineConfig): RunRequest {
  const { access, allowList, scheduler } = config;
  const policyOf = retryPolicies(scheduler, access);
  const runner: Runner = {
    access,
    watch: access && (access.revocations ?? revocationWatch(access.revoked$)),
    // A 401 from an origin that may not receive the token (reached by a redirect) never refreshes.
    isRejection: (error) => isTokenRejection(error) && allowList.allows(error.responseUrl),
    authorization: bearerOnce(),
  };
  return function run<R, T>(request: PipelineRequest, send: SendAttempt<R>, check: (response: R) => T, subscriber: Subscriber<T>): Unsubscribable {
    const policy = request.retry === undefined || request.retry.maxRetries === 0 ? undefined : policyOf(request.retry);
    const authorized = access !== undefined && request.auth && allowList.allows(request.url);
    const run = new RequestRun(runner, request, withAttemptTimeout(request, send, scheduler), check, subscriber, policy);
    run.begin(scheduler, authorized);
    return run;
  };
}

/**
 * One request in flight: its deadline, its place in the revocation watch, and its attempts, each
 * started again after an error that `policy` retries once its wait is over (the transient retry
 * of {@link retryBackoff} without an operator). It is the observer of each attempt, the
 * {@link AuthorizeConfig} of its one retry after a rejection, and the request's teardown:
 * unsubscribing it cancels the deadline, the wait and the attempt.
 */
class RequestRun<R, T> implements Observer<T>, TokenSender<R>, AuthorizeConfig, DeadlineTarget, Revocable {
  readonly #runner: Runner;
  readonly #request: PipelineRequest;
  readonly #attempt: SendAttempt<R>;
  readonly #check: (response: R) => T;
  readonly #subscriber: Subscriber<T>;
  readonly #policy: BackoffPolicy | undefined;
  readonly #subscription = new Subscription();
  /** {@link TokenSender.pin}: the sign-in of the first token sent, held across every attempt (rule 18). */
  readonly pin: SignInPin;
  #deadline: Deadline | undefined;
  #attempts = 0;
  #retried = false;
  #authorized = false;

  constructor(runner: Runner, request: PipelineRequest, attempt: SendAttempt<R>, check: (response: R) => T, subscriber: Subscriber<T>, policy: BackoffPolicy | undefined) {
    this.#runner = runner;
    this.#request = request;
    this.#attempt = attempt;
    this.#check = check;
    this.#subscriber = subscriber;
    this.#policy = policy;
    this.pin = new SignInPin(request.method, request.url);
  }

  begin(scheduler: SchedulerLike, authorized: boolean): void {
    const limit = this.#request.timeout;
    if (limit !== false) this.#deadline = startDeadline(scheduler, limit, this);
    // A revocation (here or in another member) stops the request at once, mid-flight too.
    this.#authorized = authorized;
    if (authorized) this.#runner.watch?.add(this);
    if (!this.#subscriber.closed) this.restart();
  }

  /** Starts an attempt: the first, or the next after a transient error's wait. */
  restart(): void {
    const access = this.#runner.access;
    if (this.#authorized && access) authorizeInto(access, this, this.#check, this, this, this.#subscription);
    else this.#subscription.add(subscribeChecked(callSafely(this.#attempt, null), this.#check, this));
  }

  /** {@link TokenSender}: one attempt with the token as a Bearer header. */
  send(token: string | null): Observable<R> {
    return this.#attempt(token === null ? null : this.#runner.authorization(token));
  }

  next(value: T): void {
    this.#subscriber.next(value);
  }

  error(error: unknown): void {
    const policy = this.#policy;
    // A refusal by the pin is the request's end, whatever a custom `shouldRetry` says.
    const wait = error instanceof TokenRefreshError && error.reason === 'sign-in-changed' ? undefined : policy?.delayOf(error, ++this.#attempts);
    if (policy === undefined || wait === undefined) this.#subscriber.error(error);
    else this.#subscription.add(policy.scheduler.schedule(retryNow, wait, this as RequestRun<unknown, unknown>));
  }

  complete(): void {
    this.#subscriber.complete();
  }

  isRejection(error: unknown): boolean {
    return this.#runner.isRejection(error);
  }

  // Per request, not per attempt: the one retry after a rejection is shared by every transient
  // retry of the request instead of granted anew to each.
  mayRetry(): boolean {
    return !this.#retried && (this.#retried = true);
  }

  onRetry(): void {
    const { method, url } = this.#request;
    this.#runner.access?.report({ type: 'request-retried', method, url: redactUrl(url), reason: 'unauthorized', attempt: 1 });
  }

  expire(): void {
    const { method, url, timeout } = this.#request;
    this.#subscriber.error(new RequestTimeoutError(method, url, timeout as number));
  }

  revoke(): void {
    this.#subscriber.error(new TokenRevokedError());
  }

  unsubscribe(): void {
    this.#deadline?.cancel();
    if (this.#authorized) this.#runner.watch?.remove(this);
    this.#subscription.unsubscribe();
  }
}

function retryNow(this: SchedulerAction<RequestRun<unknown, unknown>>, run?: RequestRun<unknown, unknown>): void {
  run?.restart();
}

// Every request of a generation sends the same token: check its header syntax once, not per attempt.
function bearerOnce(): (token: string) => string {
  let last: string | undefined;
  let value = '';
  return (token) => {
    if (token !== last) {
      value = bearer(token);
      last = token;
    }
    return value;
  };
}

function withAttemptTimeout<T>(request: PipelineRequest, send: SendAttempt<T>, scheduler: SchedulerLike): SendAttempt<T> {
  const limit = request.attemptTimeout;
  if (limit === false) return send;
  return (authorization) => send(authorization).pipe(requestDeadline(limit, request.method, request.url, scheduler));
}

// One policy per retry config: requests that keep the client's config share it. The event takes
// its method and URL from the error it retries.
function retryPolicies(scheduler: SchedulerLike, access: TokenAccess | undefined): (config: RetryBackoffConfig) => BackoffPolicy {
  const built = new WeakMap<RetryBackoffConfig, BackoffPolicy>();
  return (config) => {
    let policy = built.get(config);
    if (!policy) {
      policy = backoffPolicy({
        ...config,
        scheduler: config.scheduler ?? scheduler,
        onRetry: (error, attempt, delay) => {
          config.onRetry?.(error, attempt, delay);
          if (access && error instanceof RequestError) access.report({ type: 'request-retried', method: error.method, url: error.url, reason: 'transient', attempt });
        },
      });
      built.set(config, policy);
    }
    return policy;
  };
}
