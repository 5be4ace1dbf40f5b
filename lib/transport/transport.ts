import type { Observable } from 'rxjs';
import type { ApiRequest, ApiResponse } from './api-request.js';

/**
 * Sends one request and emits its response once, whatever the status; the request path turns failing
 * statuses into `HttpError` with {@link checkStatus}. It errors with `NetworkError` when no
 * response came, and with a TypeError for a request it must not send. Unsubscribing must abort
 * the request. The default is {@link fetchTransport}; `rx-token-http/testing` has a virtual-time one.
 */
export type Transport = (request: ApiRequest) => Observable<ApiResponse<unknown>>;
