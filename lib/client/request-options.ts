import type { RetryOption } from '../retry/retry-backoff-config.js';
import type { ResponseType } from '../transport/api-request.js';

/** A query parameter value; arrays repeat the key, `null` and `undefined` are left out. */
export type ParamValue = string | number | boolean | null | undefined | readonly (string | number | boolean)[];

/** Options of one request. Every field is optional. */
export interface RequestOptions {
  /** Added to the URL's query string. */
  readonly params?: Readonly<Record<string, ParamValue>> | URLSearchParams;
  /** Extra headers; they override the client's defaults. */
  readonly headers?: Readonly<Record<string, string>>;
  /** How to read the body. @default 'json' */
  readonly responseType?: ResponseType;
  /**
   * The whole request's limit in ms: its attempts, backoff waits and wait for a refresh; `false`
   * for none. @default the client's (30000)
   */
  readonly timeout?: number | false;
  /** One attempt's limit in ms, `false` for none; a timed-out attempt counts as transient. @default the client's (false) */
  readonly attemptTimeout?: number | false;
  /** Retries on transient errors. @default the client's */
  readonly retry?: RetryOption;
  /** `false` sends no token, e.g. for public endpoints. @default true */
  readonly auth?: boolean;
  /** Retry this request on transient errors even though its method is not idempotent. @default false */
  readonly idempotent?: boolean;
  /** `'response'` emits status, headers and body instead of the body alone. @default 'body' */
  readonly observe?: 'body' | 'response';
}

/** Options that emit the body. */
export type BodyOptions = RequestOptions & { readonly observe?: 'body' };
/** Options that emit the whole {@link ApiResponse}. */
export type ResponseOptions = RequestOptions & { readonly observe: 'response' };
