import { Observable, map } from 'rxjs';
import type { OutgoingRequest } from '../request/outgoing-request.js';
import { createRequestPath, mayRetryTransient, type RequestPath } from '../request/request-path.js';
import type { RetryBackoffConfig } from '../retry/retry-backoff.js';
import { mergeRetry } from '../retry/retry-policy.js';
import type { ApiRequest, ApiResponse } from '../transport/api-request.js';
import { checkStatus } from '../transport/response.js';
import { buildRequest, type RequestDefaults } from './build-request.js';
import { checkTimeout, resolveClientConfig, type HttpClientConfig, type ResolvedClientConfig, type RequestHandler } from './client-config.js';
import type { RequestOptions } from './request-options.js';
import type { RxHttpClient } from './rx-http-client.js';

export type { HttpClientConfig } from './client-config.js';

/**
 * Creates an {@link RxHttpClient}. With a `session`, requests to `baseUrl`'s origin (and
 * `allowedOrigins`) carry its access token; a 401 waits for the session's single refresh and
 * is retried once with the new token. Throws a TypeError at once on an unusable config.
 *
 * @example
 * const api = createHttpClient({ baseUrl: 'https://api.example.com/v1', session });
 * api.get<User[]>('/users', { params: { page: 2 } }).subscribe((users) => render(users));
 */
export function createHttpClient(config: HttpClientConfig): RxHttpClient {
  const resolved = resolveClientConfig(config);
  const path = createRequestPath({ access: resolved.session, allowList: resolved.allowList, scheduler: resolved.scheduler });
  const send = sendThrough(path, resolved);
  const interceptors = config.interceptors ?? [];
  // With interceptors, each sees the whole ApiResponse; without, the call runs the request path itself.
  const handler =
    interceptors.length === 0
      ? undefined
      : interceptors.reduceRight<RequestHandler>((next, interceptor) => (request) => interceptor(request, next), (request) => send(request, true) as Observable<ApiResponse<unknown>>);
  const call = caller(send, handler, resolved.defaults);
  // The overloads of RxHttpClient differ only in types; one implementation serves them all.
  const client = {
    request: (method: string, url: string, options: RequestOptions & { body?: unknown } = {}) => call(method, url, options.body, options),
    get: (url: string, options?: RequestOptions) => call('GET', url, undefined, options),
    head: (url: string, options?: RequestOptions) => call('HEAD', url, undefined, options),
    delete: (url: string, options?: RequestOptions) => call('DELETE', url, undefined, options),
    post: (url: string, body?: unknown, options?: RequestOptions) => call('POST', url, body, options),
    put: (url: string, body?: unknown, options?: RequestOptions) => call('PUT', url, body, options),
    patch: (url: string, body?: unknown, options?: RequestOptions) => call('PATCH', url, body, options),
  };
  return client as RxHttpClient;
}

/** One ApiRequest through the request path: the checked response, or its body unless `whole`. */
type SendRequest = (request: ApiRequest, whole: boolean) => Observable<unknown>;

// The adapter: an ApiRequest through the shared request path, each attempt over the transport, each
// response through checkStatus (inside the attempt: a 401 is the error a rejection is seen in).
function sendThrough(path: RequestPath, resolved: ResolvedClientConfig): SendRequest {
  const { defaults, transport } = resolved;
  return (request, whole) => {
    const check = whole ? (response: ApiResponse<unknown>) => checkStatus(request, response) : (response: ApiResponse<unknown>) => checkStatus(request, response).body;
    const attempt = (authorization: string | null, headers?: Readonly<Record<string, string>>): Observable<unknown> =>
      transport(authorization === null ? request : { ...request, headers: { ...request.headers, ...headers, authorization } }).pipe(map(check));
    return path(outgoingRequest(request, defaults, resolved.retry), attempt);
  };
}

// One call of the client: built at subscription, like defer, so a TypeError for bad input
// arrives as the error; emits the body, or the whole response with `observe: 'response'`.
function caller(send: SendRequest, handler: RequestHandler | undefined, defaults: RequestDefaults): (method: string, url: string, body: unknown, options?: RequestOptions) => Observable<unknown> {
  return (method, url, body, options = {}) => {
    const whole = options.observe === 'response';
    return new Observable<unknown>((subscriber) => {
      const request = buildRequest(defaults, method, url, body, options);
      if (!handler) return send(request, whole).subscribe(subscriber);
      const response$ = handler(request);
      if (whole) return response$.subscribe(subscriber);
      return response$.subscribe({
        next: (response) => subscriber.next(response.body),
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
    });
  };
}

// `clientRetry` is the client's own policy object: requests that keep it share one retry operator.
function outgoingRequest(request: ApiRequest, defaults: RequestDefaults, clientRetry: RetryBackoffConfig): OutgoingRequest {
  const idempotent = mayRetryTransient(request.method, 'idempotency-key' in request.headers, request.idempotent);
  // A per-request policy refines the client's: `{ maxRetries: 5 }` keeps the client's delays.
  const retry = !idempotent ? undefined : request.retry === defaults.retry ? clientRetry : mergeRetry(clientRetry, request.retry);
  return {
    method: request.method,
    url: request.url,
    auth: request.auth,
    retry,
    // The client's own timeouts were checked when it was created; a request's own (or an
    // interceptor's) is checked here.
    timeout: request.timeout === defaults.timeout ? request.timeout : checkTimeout(request.timeout, 'timeout'),
    attemptTimeout: request.attemptTimeout === defaults.attemptTimeout ? request.attemptTimeout : checkTimeout(request.attemptTimeout ?? false, 'attemptTimeout'),
  };
}
