import type { Observable } from 'rxjs';
import type { HttpRequest, HttpResponse } from './http-request.js';

/** Passes a request on to the rest of the chain. */
export type HttpHandler = (request: HttpRequest) => Observable<HttpResponse<unknown>>;

/**
 * A functional interceptor, as in Angular: change the request, call `next`, and work on the
 * response observable. Interceptors run once per call, outside the auth and retry steps, so
 * they never see the access token.
 *
 * @example
 * const traced: HttpInterceptor = (request, next) =>
 *   next({ ...request, headers: { ...request.headers, 'x-request-id': crypto.randomUUID() } });
 */
export type HttpInterceptor = (request: HttpRequest, next: HttpHandler) => Observable<HttpResponse<unknown>>;
