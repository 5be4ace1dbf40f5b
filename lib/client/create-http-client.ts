import { asyncScheduler, defer, map, throwError, timeout, type MonoTypeOperatorFunction, type Observable, type SchedulerLike } from 'rxjs';
import { authorize } from '../auth/authorize.js';
import { HttpError } from '../errors/http-error.js';
import { RequestTimeoutError } from '../errors/request-timeout-error.js';
import { retryBackoff, type RetryBackoffConfig } from '../retry/retry-backoff.js';
import { DEFAULT_RETRY, mayRetryTransient, mergeRetry } from '../retry/retry-policy.js';
import type { TokenSession } from '../session/create-token-session.js';
import { reportEvent } from '../session/report-event.js';
import { fetchBackend } from '../transport/fetch-backend.js';
import type { HttpBackend } from '../transport/http-backend.js';
import { MAX_TIMER_DELAY } from '../util/max-timer-delay.js';
import { redactUrl } from '../util/redact-url.js';
import { buildRequest, type RequestDefaults } from './build-request.js';
import type { HttpClient } from './http-client.js';
import type { HttpInterceptor } from './http-interceptor.js';
import type { HttpRequest, HttpResponse, RetryOption } from './http-request.js';
import type { RequestOptions } from './request-options.js';

/** How an {@link HttpClient} sends requests. Only `baseUrl` is required. */
export interface HttpClientConfig {
  /** Relative URLs are joined onto it; its origin receives the access token. */
  readonly baseUrl: string;
  /** Supplies and refreshes the access token. Without it no request is authorized. */
  readonly session?: TokenSession;
  /** Further origins (`https://files.example.com`) that may receive the access token. @default [] */
  readonly allowedOrigins?: readonly string[];
  /** Retries of transient errors (network, timeout, 408, 429, 5xx) on idempotent requests. @default 2 retries */
  readonly retry?: RetryOption;
  /** Per-attempt timeout in ms, or `false` for none. @default 30000 */
  readonly timeout?: number | false;
  /** Headers sent with every request. @default {} */
  readonly headers?: Readonly<Record<string, string>>;
  /** Run in order around every call, outside auth and retries. @default [] */
  readonly interceptors?: readonly HttpInterceptor[];
  /** The `fetch` to use, for the default backend. @default globalThis.fetch, looked up per call */
  readonly fetch?: typeof fetch;
  /** Replaces `fetch` altogether, e.g. with the test backend of `rx-token-http/testing`. */
  readonly backend?: HttpBackend;
  /** Timers of timeouts and backoff; pass a `TestScheduler` in marble tests. @default asyncScheduler */
  readonly scheduler?: SchedulerLike;
}


/**
 * Creates an {@link HttpClient}. With a `session`, requests to `baseUrl`'s origin (and
 * `allowedOrigins`) carry its access token; a 401 waits for the session's single refresh and
 * is retried once with the new token.
 *
 * @example
 * const api = createHttpClient({ baseUrl: 'https://api.example.com/v1', session });
 * api.get<User[]>('/users', { params: { page: 2 } }).subscribe((users) => render(users));
 */
export function createHttpClient(config: HttpClientConfig): HttpClient {
  const baseOrigin = originOf(config.baseUrl, 'baseUrl');
  const allowed = new Set([baseOrigin, ...(config.allowedOrigins ?? []).map((o) => originOf(o, 'allowedOrigins'))]);
  const scheduler = config.scheduler ?? asyncScheduler;
  const backend = config.backend ?? fetchBackend(config.fetch);
  const { session } = config;
  const defaults: RequestDefaults = {
    baseUrl: config.baseUrl,
    headers: config.headers ?? {},
    timeout: checkTimeout(config.timeout ?? 30_000),
    retry: config.retry ?? DEFAULT_RETRY,
  };

  const clientRetry = mergeRetry(DEFAULT_RETRY, defaults.retry);

  function attempt(request: HttpRequest, token: string | null): Observable<HttpResponse<unknown>> {
    const sent = token === null ? request : { ...request, headers: { ...request.headers, authorization: `Bearer ${token}` } };
    // Deferred so that every retry calls the backend again, whatever kind of observable it returns.
    const response$ = defer(() => backend(sent)).pipe(map((response) => checkStatus(request, response)));
    const limit = checkTimeout(request.timeout);
    if (limit === false) return response$;
    return response$.pipe(
      timeout({ first: limit, with: () => throwError(() => new RequestTimeoutError(request.method, request.url, limit)), scheduler }),
    );
  }

  // A prefix test first: parsing every request's URL again costs more than the rest of the
  // auth step. Only a URL that does not start with an allowed origin is parsed to be sure.
  function mayCarryToken(url: string): boolean {
    for (const origin of allowed) if (url.startsWith(origin) && url.charAt(origin.length) === '/') return true;
    try {
      return allowed.has(new URL(url).origin);
    } catch {
      return false;
    }
  }

  function reportRetry(method: string, url: string, reason: 'unauthorized' | 'transient', attempt: number): void {
    if (session) reportEvent(session, { type: 'request-retried', method, url: redactUrl(url), reason, attempt });
  }

  function retryOperator(policy: RetryBackoffConfig, request?: HttpRequest): MonoTypeOperatorFunction<HttpResponse<unknown>> {
    return retryBackoff({
      ...policy,
      scheduler: policy.scheduler ?? scheduler,
      onRetry: (error, attempt, delay) => {
        policy.onRetry?.(error, attempt, delay);
        const where = request ?? (error as Partial<HttpRequest>);
        if (where.method !== undefined && where.url !== undefined) reportRetry(where.method, where.url, 'transient', attempt);
      },
    });
  }
  // Built once: the benchmark profile showed building it per request was the client's largest
  // own cost. The transient errors it retries carry their method and URL for the event.
  const clientRetryOperator = retryOperator(clientRetry);

  function send(request: HttpRequest): Observable<HttpResponse<unknown>> {
    const authorized =
      session && request.auth && mayCarryToken(request.url)
        ? authorize(session, (token) => attempt(request, token), { onRetry: () => reportRetry(request.method, request.url, 'unauthorized', 1) })
        : attempt(request, null);
    if (!mayRetryTransient(request.method, 'idempotency-key' in request.headers, request.idempotent)) return authorized;
    if (request.retry === defaults.retry) return clientRetry.maxRetries === 0 ? authorized : authorized.pipe(clientRetryOperator);
    // A per-request policy refines the client's: `{ maxRetries: 5 }` keeps the client's delays.
    const retry = mergeRetry(clientRetry, request.retry);
    return retry.maxRetries === 0 ? authorized : authorized.pipe(retryOperator(retry, request));
  }

  const handler = (config.interceptors ?? []).reduceRight<(request: HttpRequest) => Observable<HttpResponse<unknown>>>(
    (next, interceptor) => (request) => interceptor(request, next),
    send,
  );

  function call(method: string, url: string, body: unknown, options: RequestOptions = {}): Observable<unknown> {
    const response$ = defer(() => handler(buildRequest(defaults, method, url, body, options)));
    return options.observe === 'response' ? response$ : response$.pipe(map((response) => response.body));
  }

  // The overloads of HttpClient differ only in types; one implementation serves them all.
  const client = {
    request: (method: string, url: string, options: RequestOptions & { body?: unknown } = {}) => call(method, url, options.body, options),
    get: (url: string, options?: RequestOptions) => call('GET', url, undefined, options),
    head: (url: string, options?: RequestOptions) => call('HEAD', url, undefined, options),
    delete: (url: string, options?: RequestOptions) => call('DELETE', url, undefined, options),
    post: (url: string, body?: unknown, options?: RequestOptions) => call('POST', url, body, options),
    put: (url: string, body?: unknown, options?: RequestOptions) => call('PUT', url, body, options),
    patch: (url: string, body?: unknown, options?: RequestOptions) => call('PATCH', url, body, options),
  };
  return client as HttpClient;
}

function checkStatus(request: HttpRequest, response: HttpResponse<unknown>): HttpResponse<unknown> {
  if (response.status >= 200 && response.status < 300) return response;
  throw new HttpError({
    method: request.method,
    url: request.url,
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
    body: response.body,
  });
}

function checkTimeout(value: number | false): number | false {
  if (value === false || (typeof value === 'number' && value > 0 && value <= MAX_TIMER_DELAY)) return value;
  throw new TypeError(`timeout must be a number of ms from 1 to ${MAX_TIMER_DELAY}, or false; got ${String(value)}`);
}

function originOf(url: string, what: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`${what} must be an absolute URL, got ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new TypeError(`${what} must be an http or https URL, got ${JSON.stringify(url)}`);
  }
  return parsed.origin;
}
