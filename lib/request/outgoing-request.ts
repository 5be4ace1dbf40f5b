import type { Observable, SchedulerLike } from 'rxjs';
import type { RetryBackoffConfig } from '../retry/retry-backoff.js';
import type { TokenAccess } from '../session/token-access.js';
import type { OriginAllowList } from './origin-allow-list.js';

/** What every request of one client (or one Angular injector) shares. */
export interface RequestPathConfig {
  /** Supplies and refreshes the token. Without it no request is authorized. */
  readonly access?: TokenAccess;
  /** The origins that may receive the token, and whose 401 may trigger a refresh. */
  readonly allowList: OriginAllowList;
  /** Timers of deadlines and backoff waits; a `TestScheduler` in marble tests. */
  readonly scheduler: SchedulerLike;
}

/** One request as the request path needs it, whatever the adapter's own request type. */
export interface OutgoingRequest {
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
 * Sends one attempt with `authorization` (`Bearer …`, `DPoP …`, or `null` for none), and with
 * `headers` (a DPoP proof) when given, and emits its response once. It must be cold (it is subscribed once per attempt) and fail with the core's errors
 * (`HttpError`, `NetworkError`, …): an adapter translates its own before they reach the request path.
 */
export type SendAttempt<T> = (authorization: string | null, headers?: Readonly<Record<string, string>>) => Observable<T>;
