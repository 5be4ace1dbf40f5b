import type { RetryBackoffConfig } from '../retry/retry-backoff.js';

/** How a response body is read. @default 'json' */
export type ResponseType = 'json' | 'text' | 'blob' | 'arrayBuffer';

/** A retry policy: a number of retries, a full policy, or `false` for none. */
export type RetryOption = number | RetryBackoffConfig | false;

/**
 * One request as interceptors and backends see it: an immutable value. Change it by spreading
 * into a new object (`{ ...request, headers: { ...request.headers, 'x-trace': id } }`).
 * It never carries the access token: the client adds `Authorization` after the interceptors.
 */
export interface HttpRequest {
  /** Upper case: `GET`, `POST`, … */
  readonly method: string;
  /** Absolute, with the query string from `params`. */
  readonly url: string;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  /** Ready for `fetch`: JSON bodies are already serialised. */
  readonly body: BodyInit | null;
  readonly responseType: ResponseType;
  /** Per-attempt timeout in ms, or `false` for none. */
  readonly timeout: number | false;
  readonly retry: RetryOption;
  /** Whether the session's token is attached (to allowed origins only). */
  readonly auth: boolean;
  /** The caller vouches that sending it twice is harmless, so transient errors are retried. */
  readonly idempotent: boolean;
}

/** A response with its parsed body. */
export interface HttpResponse<T> {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
  readonly body: T;
  readonly url: string;
}
