import type { Observable } from 'rxjs';
import type { HttpResponse } from './http-request.js';
import type { BodyOptions, ResponseOptions } from './request-options.js';

/**
 * Sends HTTP requests as cold observables: nothing is sent until you subscribe, each subscription
 * sends again, and unsubscribing aborts. Each emits the parsed body once and completes, or the
 * whole {@link HttpResponse} with `observe: 'response'`. Errors are `HttpClientError`s.
 */
export interface HttpClient {
  request<T = unknown>(method: string, url: string, options?: BodyOptions & { readonly body?: unknown }): Observable<T>;
  request<T = unknown>(method: string, url: string, options: ResponseOptions & { readonly body?: unknown }): Observable<HttpResponse<T>>;
  get<T = unknown>(url: string, options?: BodyOptions): Observable<T>;
  get<T = unknown>(url: string, options: ResponseOptions): Observable<HttpResponse<T>>;
  head(url: string, options?: BodyOptions): Observable<null>;
  head(url: string, options: ResponseOptions): Observable<HttpResponse<null>>;
  delete<T = unknown>(url: string, options?: BodyOptions): Observable<T>;
  delete<T = unknown>(url: string, options: ResponseOptions): Observable<HttpResponse<T>>;
  /** `body`: a plain object or array (sent as JSON), string, `FormData`, `URLSearchParams`, `Blob` or bytes. */
  post<T = unknown>(url: string, body?: unknown, options?: BodyOptions): Observable<T>;
  post<T = unknown>(url: string, body: unknown, options: ResponseOptions): Observable<HttpResponse<T>>;
  put<T = unknown>(url: string, body?: unknown, options?: BodyOptions): Observable<T>;
  put<T = unknown>(url: string, body: unknown, options: ResponseOptions): Observable<HttpResponse<T>>;
  patch<T = unknown>(url: string, body?: unknown, options?: BodyOptions): Observable<T>;
  patch<T = unknown>(url: string, body: unknown, options: ResponseOptions): Observable<HttpResponse<T>>;
}
