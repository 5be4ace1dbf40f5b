import type { Observable } from 'rxjs';
import type { ApiResponse } from '../transport/api-request.js';
import type { BodyOptions, ResponseOptions } from './request-options.js';

/**
 * Sends HTTP requests as cold observables: nothing is sent until you subscribe, each subscription
 * sends again, and unsubscribing aborts. Each emits the parsed body once and completes, or the
 * whole {@link ApiResponse} with `observe: 'response'`. Errors are {@link RxTokenHttpError}s, or a TypeError at once for input it cannot send.
 */
export interface RxHttpClient {
  request<T = unknown>(method: string, url: string, options?: BodyOptions & { readonly body?: unknown }): Observable<T>;
  request<T = unknown>(method: string, url: string, options: ResponseOptions & { readonly body?: unknown }): Observable<ApiResponse<T>>;
  get<T = unknown>(url: string, options?: BodyOptions): Observable<T>;
  get<T = unknown>(url: string, options: ResponseOptions): Observable<ApiResponse<T>>;
  head(url: string, options?: BodyOptions): Observable<null>;
  head(url: string, options: ResponseOptions): Observable<ApiResponse<null>>;
  delete<T = unknown>(url: string, options?: BodyOptions): Observable<T>;
  delete<T = unknown>(url: string, options: ResponseOptions): Observable<ApiResponse<T>>;
  /** `body`: a plain object or array (sent as JSON), string, `FormData`, `URLSearchParams`, `Blob` or bytes. */
  post<T = unknown>(url: string, body?: unknown, options?: BodyOptions): Observable<T>;
  post<T = unknown>(url: string, body: unknown, options: ResponseOptions): Observable<ApiResponse<T>>;
  put<T = unknown>(url: string, body?: unknown, options?: BodyOptions): Observable<T>;
  put<T = unknown>(url: string, body: unknown, options: ResponseOptions): Observable<ApiResponse<T>>;
  patch<T = unknown>(url: string, body?: unknown, options?: BodyOptions): Observable<T>;
  patch<T = unknown>(url: string, body: unknown, options: ResponseOptions): Observable<ApiResponse<T>>;
}
