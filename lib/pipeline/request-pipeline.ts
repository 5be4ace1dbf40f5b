import { Observable, Subscription, type SchedulerLike, type Subscriber } from 'rxjs';
import { authorize } from '../auth/authorize.js';
import { isTokenRejection } from '../auth/is-token-rejection.js';
import { RequestError } from '../errors/request-error.js';
import { RequestTimeoutError } from '../errors/request-timeout-error.js';
import { TokenRevokedError } from '../errors/token-revoked-error.js';
import { backoffPolicy, type BackoffPolicy, type RetryBackoffConfig } from '../retry/retry-backoff.js';
import type { TokenAccess } from '../session/token-access.js';
import { redactUrl } from '../util/redact-url.js';
import { bearer } from './bearer.js';
import type { OriginAllowList } from './origin-allow-list.js';
import { requestDeadline, startDeadline } from './request-deadline.js';

/** What every request of one client (or one Angular injector) shares. */
export interface RequestPipelineConfig {
  /** Supplies and refreshes the token. Without it no request is authorized. */
  readonly access?: TokenAccess;
  /** The origins that may receive the token, and whose 401 may trigger a refresh. */
  readonly allowList: OriginAllowList;
  /** Timers of deadlines and backoff waits; a `TestScheduler` in marble tests. */
  readonly scheduler: SchedulerLike;
}

/** One request as the pipeline needs it, whatever the adapter's own request type. */
export interface PipelineRequest {
  readonly method: string;
  /** Absolute. */
  readonly url: string;
  /** Whether it wants the token; it gets it only on an allowed origin. */
  readonly auth: boolean;
  /** Retries of transient errors, already merged and checked for idempotency; `undefined` for none. */
  readonly retry: RetryBackoffConfig | undefined;
  /** The whole request's limit in ms (attempts, backoff waits, the wait for a refresh), or `false`. */
  readonly timeout: number | false;
  /** One attempt's limit in ms, or `false`. */
  readonly attemptTimeout: number | false;
}

/**
 * Sends one attempt with `authorization` (`Bearer …`, or `null` for none) and emits its response
 * once. It must be cold (it is subscribed once per attempt) and fail with the core's errors
 * (`HttpError`, `NetworkError`, …): an adapter translates its own before they reach the pipeline.
 */
export type SendAttempt<T> = (authorization: string | null) => Observable<T>;

/** Runs one request through the steps every adapter shares. */
export type RequestPipeline = <T>(request: PipelineRequest, send: SendAttempt<T>) => Observable<T>;

/**
 * The ONE request pipeline, shared by `createHttpClient` and the Angular interceptor:
 * origin allow-list -> `Authorization: Bearer` -> {@link authorize} (one refresh at most per
 * request, DESIGN rule 7, however many transient retries it makes) -> transient retry with
 * backoff -> a stop on the session's revocation (`TokenAccess.revoked$`) -> the whole-request
 * deadline (rule 13). Retries are reported on the session's
 * `events$` through `TokenAccess.report`.
 */
export function createRequestPipeline(config: RequestPipelineConfig): RequestPipeline {
  const { access, allowList, scheduler } = config;
  const policyOf = retryPolicies(scheduler, access);
  const authorization = bearerOnce();
  return <T>(request: PipelineRequest, send: SendAttempt<T>): Observable<T> => {
    const attempt = withAttemptTimeout(request, send, scheduler);
    const policy = request.retry === undefined || request.retry.maxRetries === 0 ? undefined : policyOf(request.retry);
    const authorized = access !== undefined && request.auth && allowList.allows(request.url);
    const limit = request.timeout;
    // One subscriber for the whole request, in this order: the deadline, the revocation watch,
    // then the attempts and their transient retries (no operator per request).
    return new Observable<T>((subscriber) => {
      const deadline = limit === false ? undefined : startDeadline(scheduler, limit, () => subscriber.error(new RequestTimeoutError(request.method, request.url, limit)));
      const subscription = new Subscription();
      // A revocation (here or in another member) stops the request at once, mid-flight too.
      if (authorized) subscription.add(access.revoked$.subscribe(() => subscriber.error(new TokenRevokedError())));
      if (!subscriber.closed) {
        const attempts = authorized ? authorizeOnce(access, allowList, request, attempt, authorization) : attempt(null);
        subscribeWithRetries(attempts, subscriber, policy, subscription);
      }
      return () => {
        deadline?.cancel();
        subscription.unsubscribe();
      };
    });
  };
}

/**
 * Subscribes `source` for `subscriber`, and again after each error that `policy` retries, once
 * its wait is over: the transient retry of {@link retryBackoff} without an operator per request.
 * Every subscription and wait goes into `subscription`, so unsubscribing it cancels them.
 */
function subscribeWithRetries<T>(source: Observable<T>, subscriber: Subscriber<T>, policy: BackoffPolicy | undefined, subscription: Subscription): void {
  let attempt = 0;
  const run = (): void => {
    subscription.add(
      source.subscribe({
        next: (value) => subscriber.next(value),
        error(error: unknown) {
          const wait = policy?.delayOf(error, ++attempt);
          if (policy === undefined || wait === undefined) subscriber.error(error);
          else subscription.add(policy.scheduler.schedule(run, wait));
        },
        complete: () => subscriber.complete(),
      }),
    );
  };
  run();
}

// Built per subscription of the request (inside the defer above), so the one retry after a
// rejection is shared by every transient retry of that request instead of granted anew to each.
function authorizeOnce<T>(
  access: TokenAccess,
  allowList: OriginAllowList,
  request: PipelineRequest,
  attempt: SendAttempt<T>,
  authorization: (token: string) => string,
): Observable<T> {
  let retried = false;
  // `authorize` turns a throw of `authorization` (a token a header cannot carry) into the request's error.
  return authorize(access, (token) => attempt(token === null ? null : authorization(token)), {
    // A 401 from an origin that may not receive the token (reached by a redirect) never refreshes.
    isRejection: (error) => isTokenRejection(error) && allowList.allows(error.responseUrl),
    mayRetry: () => !retried && (retried = true),
    onRetry: () => access.report({ type: 'request-retried', method: request.method, url: redactUrl(request.url), reason: 'unauthorized', attempt: 1 }),
  });
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
