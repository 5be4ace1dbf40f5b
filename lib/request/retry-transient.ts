import { Observable, Subscriber, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';
import { RequestError } from '../errors/request-error.js';
import { TokenRefreshError } from '../errors/token-refresh-error.js';
import { isTransientError } from '../retry/is-transient-error.js';
import { backoffPolicy, type BackoffPolicy, type RetryBackoffConfig } from '../retry/retry-backoff.js';
import type { TokenAccess } from '../session/token-access.js';

/**
 * {@link retryBackoff} as the request path runs it (rules 6, 8): `config` is the request's,
 * already merged and checked for idempotency (it was checked where it was given: client,
 * request, Angular options). Each retry is a `request-retried` event through `access.report`;
 * the waits run on the config's scheduler, else `scheduler` (the request path's). A request that
 * the sign-in pin refused (rule 18) is never retried, whatever a custom `shouldRetry` says.
 *
 * The same decisions as `retryBackoff` (its {@link BackoffPolicy}), with the resubscribing
 * written out: rxjs's `retry` kept a subscriber, its closures and their contexts per request
 * across the network wait (bench/analysis.md, "Issue 22, R6"). Build it once per config.
 */
export function retryTransient<T>(config: RetryBackoffConfig, access: TokenAccess | undefined, scheduler: SchedulerLike): MonoTypeOperatorFunction<T> {
  const { shouldRetry = isTransientError, onRetry } = config;
  const policy = backoffPolicy({
    ...config,
    scheduler: config.scheduler ?? scheduler,
    shouldRetry: (error, attempt) => !(error instanceof TokenRefreshError && error.reason === 'sign-in-changed') && shouldRetry(error, attempt),
    onRetry: (error, attempt, delay) => {
      onRetry?.(error, attempt, delay);
      // The event takes its method and URL from the error it retries.
      if (access && error instanceof RequestError) access.report({ type: 'request-retried', method: error.method, url: error.url, reason: 'transient', attempt });
    },
  });
  return (source) => new Observable<T>((subscriber) => void source.subscribe(new Retrying(subscriber, source, policy, 1)));
}

// The subscriber of one attempt, the `retry` of a request: values and completion go on; an
// error goes to the policy, and a retry subscribes to the source again after its wait with the
// subscriber of the next attempt. Unsubscribing the request cancels the attempt or the wait.
class Retrying<T> extends Subscriber<T> {
  readonly #source: Observable<T>;
  readonly #policy: BackoffPolicy;
  readonly #retry: number;

  constructor(out: Subscriber<T>, source: Observable<T>, policy: BackoffPolicy, retry: number) {
    super(out);
    this.#source = source;
    this.#policy = policy;
    this.#retry = retry;
  }

  protected override _error(error: unknown): void {
    const out = this.destination as Subscriber<T>; // before unsubscribe, which forgets it
    this.unsubscribe();
    const wait = this.#policy.delayOf(error, this.#retry);
    if (wait === undefined) return out.error(error);
    const next = new Retrying(out, this.#source, this.#policy, this.#retry + 1);
    out.add(this.#policy.scheduler.schedule(() => void this.#source.subscribe(next), wait));
  }
}
