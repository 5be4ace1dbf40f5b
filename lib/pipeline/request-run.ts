import { Subscription, type Observer, type SchedulerLike, type Subscriber } from 'rxjs';
import { authorizeInto } from '../auth/authorize.js';
import { isTokenRejection } from '../auth/is-token-rejection.js';
import { RequestError } from '../errors/request-error.js';
import { RequestTimeoutError } from '../errors/request-timeout-error.js';
import { TokenRevokedError } from '../errors/token-revoked-error.js';
import { backoffPolicy, type BackoffPolicy, type RetryBackoffConfig } from '../retry/retry-backoff.js';
import type { TokenAccess } from '../session/token-access.js';
import { redactUrl } from '../util/redact-url.js';
import { callSafely, subscribeChecked } from '../util/subscribe-checked.js';
import { bearer } from './bearer.js';
import { requestDeadline, startDeadline } from './request-deadline.js';
import type { PipelineRequest, RequestPipelineConfig, SendAttempt } from './pipeline-request.js';
import { revocationWatch } from './revocation-watch.js';

/**
 * Runs one request for `subscriber` and returns its teardown: what the pipeline's observable does
 * when subscribed, for an adapter that has a subscriber already (the client's call). Each
 * response of `send` goes through `check` (a failing status becomes the error that a 401 is
 * recognised in and a 5xx retried on), and what `check` returns is emitted.
 */
export type RunRequest = <R, T>(request: PipelineRequest, send: SendAttempt<R>, check: (response: R) => T, subscriber: Subscriber<T>) => () => void;

/**
 * The steps every request takes, in this order: the whole-request deadline (rule 13), a stop on
 * the session's revocation, then the attempts: `Authorization: Bearer` on allowed origins,
 * {@link authorizeInto} (one refresh at most per request, DESIGN rule 7, however many transient
 * retries it makes), and the transient retries with backoff. One subscriber per attempt and no
 * operator per request.
 */
export function createRequestRunner(config: RequestPipelineConfig): RunRequest {
  const { access, allowList, scheduler } = config;
  const policyOf = retryPolicies(scheduler, access);
  const authorization = bearerOnce();
  const watch = access && revocationWatch(access.revoked$);
  // A 401 from an origin that may not receive the token (reached by a redirect) never refreshes.
  const isRejection = (error: unknown): boolean => isTokenRejection(error) && allowList.allows(error.responseUrl);
  return function run<R, T>(request: PipelineRequest, send: SendAttempt<R>, check: (response: R) => T, subscriber: Subscriber<T>): () => void {
    const attempt = withAttemptTimeout(request, send, scheduler);
    const policy = request.retry === undefined || request.retry.maxRetries === 0 ? undefined : policyOf(request.retry);
    const limit = request.timeout;
    const deadline = limit === false ? undefined : startDeadline(scheduler, limit, () => subscriber.error(new RequestTimeoutError(request.method, request.url, limit)));
    const authorized = access !== undefined && watch !== undefined && request.auth && allowList.allows(request.url);
    // A revocation (here or in another member) stops the request at once, mid-flight too.
    const unwatch = authorized ? watch(() => subscriber.error(new TokenRevokedError())) : undefined;
    const subscription = new Subscription();
    if (!subscriber.closed) {
      const start = authorized
        ? authorizedStart(access, request, (token) => attempt(token === null ? null : authorization(token)), check, isRejection, subscription)
        : (observer: Observer<T>) => subscription.add(subscribeChecked(callSafely(attempt, null), check, observer));
      runWithRetries(start, subscriber, policy, subscription);
    }
    return () => {
      deadline?.cancel();
      unwatch?.();
      subscription.unsubscribe();
    };
  };
}

/**
 * Starts an attempt for `observer`, and again after each error that `policy` retries, once its
 * wait is over: the transient retry of {@link retryBackoff} without an operator per request.
 * Every attempt and wait goes into `subscription`, so unsubscribing it cancels them.
 */
function runWithRetries<T>(start: (observer: Observer<T>) => void, subscriber: Subscriber<T>, policy: BackoffPolicy | undefined, subscription: Subscription): void {
  if (policy === undefined) return start(subscriber);
  let attempt = 0;
  const observer: Observer<T> = {
    next: (value) => subscriber.next(value),
    error(error: unknown) {
      const wait = policy.delayOf(error, ++attempt);
      if (wait === undefined) subscriber.error(error);
      else subscription.add(policy.scheduler.schedule(run, wait));
    },
    complete: () => subscriber.complete(),
  };
  const run = (): void => start(observer);
  run();
}

// Per request, not per attempt: the one retry after a rejection is shared by every transient
// retry of the request instead of granted anew to each.
function authorizedStart<R, T>(
  access: TokenAccess,
  request: PipelineRequest,
  send: SendAttempt<R>,
  check: (response: R) => T,
  isRejection: (error: unknown) => boolean,
  subscription: Subscription,
): (observer: Observer<T>) => void {
  let retried = false;
  const config = {
    isRejection,
    mayRetry: () => !retried && (retried = true),
    onRetry: () => access.report({ type: 'request-retried', method: request.method, url: redactUrl(request.url), reason: 'unauthorized', attempt: 1 }),
  };
  // `authorizeInto` turns a throw of `send` (a token a header cannot carry) into the request's error.
  return (observer) => authorizeInto(access, send, check, config, observer, subscription);
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
