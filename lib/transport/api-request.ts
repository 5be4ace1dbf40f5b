import type { RetryOption } from '../retry/retry-backoff-config.js';

/** How a response body is read. @default 'json' */
export type ResponseType = 'json' | 'text' | 'blob' | 'arrayBuffer';

/**
 * One request as interceptors and transports see it: an immutable value. Change it by spreading
 * into a new object (`{ ...request, headers: { ...request.headers, 'x-trace': id } }`).
 * Interceptors never see the access token: the request path adds `Authorization` after them.
 */
export interface ApiRequest {
  /** Upper case: `GET`, `POST`, … */
  readonly method: string;
  /** Absolute, with the query string from `params`. */
  readonly url: string;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  /** Ready for `fetch`: JSON bodies are already serialised. */
  readonly body: BodyInit | null;
  readonly responseType: ResponseType;
  /** The whole request's limit in ms (attempts, backoff waits, the wait for a refresh), or `false`. */
  readonly timeout: number | false;
  /** One attempt's limit in ms, or `false` for none; a timed-out attempt is retried like a network error. @default false */
  readonly attemptTimeout?: number | false;
  readonly retry: RetryOption;
  /** Whether the session's token is attached (to allowed origins only). */
  readonly auth: boolean;
  /** The caller vouches that sending it twice is harmless, so transient errors are retried. */
  readonly idempotent: boolean;
}

/** A response with its parsed body. */
export interface ApiResponse<T> {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
  readonly body: T;
  /** The URL that answered, after redirects. */
  readonly url: string;
}
