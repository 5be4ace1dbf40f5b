import type { Observable } from 'rxjs';
import type { ApiRequest, ApiResponse } from '../transport/api-request.js';

/** Passes a request on to the rest of the chain. */
export type RequestHandler = (request: ApiRequest) => Observable<ApiResponse<unknown>>;

/**
 * A functional interceptor, as in Angular: change the request, call `next`, and work on the
 * response observable. Interceptors run once per call, outside the auth and retry steps, so
 * they never see the access token.
 *
 * @example
 * const traced: RequestInterceptor = (request, next) =>
 *   next({ ...request, headers: { ...request.headers, 'x-request-id': crypto.randomUUID() } });
 */
export type RequestInterceptor = (request: ApiRequest, next: RequestHandler) => Observable<ApiResponse<unknown>>;
