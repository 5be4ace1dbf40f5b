import type { Observable } from 'rxjs';
import type { HttpRequest, HttpResponse } from '../client/http-request.js';

/**
 * Sends one request and emits its response once, whatever the status; the client turns failing
 * statuses into `HttpError`. It errors with `NetworkError` when no response came. Unsubscribing
 * must abort the request. The default is {@link fetchBackend}; `rx-token-http/testing` has a
 * virtual-time one.
 */
export type HttpBackend = (request: HttpRequest) => Observable<HttpResponse<unknown>>;
