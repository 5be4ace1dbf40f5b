import { Observable, type MonoTypeOperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import { authorize } from '../auth/authorize.js';
import { isTokenRejection } from '../auth/is-token-rejection.js';
import { RequestError } from '../errors/request-error.js';
import { RequestTimeoutError } from '../errors/request-timeout-error.js';
import { TokenRevokedError } from '../errors/token-revoked-error.js';
import { retryBackoff, type RetryBackoffConfig } from '../retry/retry-backoff.js';
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
  const retryOf = retryOperators(scheduler, access);
  const authorization = bearerOnce();
  return <T>(request: PipelineRequest, send: SendAttempt<T>): Observable<T> => {
    const attempt = withAttemptTimeout(request, send, scheduler);
    const retry = request.retry === undefined || request.retry.maxRetries === 0 ? undefined : retryOf<T>(request.retry);
    if (!access || !request.auth || !allowList.allows(request.url)) {
      const attempts = retry ? attempt(null).pipe(retry) : attempt(null);
      return request.timeout === false ? attempts : attempts.pipe(requestDeadline(request.timeout, request.method, request.url, scheduler));
    }
    // The authorized request in one subscriber instead of defer -> failWhen -> requestDeadline:
    // the same steps in the same order (deadline, then the revocation watch, then the attempts),
    // with two layers fewer per request.
    const limit = request.timeout;
    return new Observable<T>((subscriber) => {
      const deadline = limit === false ? undefined : startDeadline(scheduler, limit, () => subscriber.error(new RequestTimeoutError(request.method, request.url, limit)));
      // A revocation (here or in another member) stops the request at once, mid-flight too.
      const stop = access.revoked$.subscribe(() => subscriber.error(new TokenRevokedError()));
      let subscription: Subscription | undefined;
      if (!subscriber.closed) {
        const authorized = authorizeOnce(access, allowList, request, attempt, authorization);
        subscription = (retry ? authorized.pipe(retry) : authorized).subscribe(subscriber);
      }
      return () => {
        deadline?.cancel();
        stop.unsubscribe();
        subscription?.unsubscribe();
      };
    });
  };
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

// One operator per retry policy: building it per request was the client's largest own cost in
// the benchmark profile. The event takes its method and URL from the error it retries.
function retryOperators(scheduler: SchedulerLike, access: TokenAccess | undefined): <T>(policy: RetryBackoffConfig) => MonoTypeOperatorFunction<T> {
  const built = new WeakMap<RetryBackoffConfig, MonoTypeOperatorFunction<unknown>>();
  return <T>(policy: RetryBackoffConfig) => {
    let operator = built.get(policy);
    if (!operator) {
      operator = retryBackoff<unknown>({
        ...policy,
        scheduler: policy.scheduler ?? scheduler,
        onRetry: (error, attempt, delay) => {
          policy.onRetry?.(error, attempt, delay);
          if (access && error instanceof RequestError) access.report({ type: 'request-retried', method: error.method, url: error.url, reason: 'transient', attempt });
        },
      });
      built.set(policy, operator);
    }
    return operator as MonoTypeOperatorFunction<T>;
  };
}
