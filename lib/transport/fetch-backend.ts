import { Observable } from 'rxjs';
import type { HttpRequest } from '../client/http-request.js';
import { HttpClientError } from '../errors/http-client-error.js';
import { NetworkError } from '../errors/network-error.js';
import type { HttpBackend } from './http-backend.js';
import { readBody } from './read-body.js';

/**
 * The default {@link HttpBackend}: the platform's `fetch`, as a cold observable. Subscribing
 * sends; unsubscribing aborts the fetch and the body read (AbortController).
 *
 * @param fetchFn Defaults to `globalThis.fetch`, looked up at each call rather than captured at
 *   import, so test doubles and interceptors (msw) installed later still see the requests.
 * @param init Fixed `fetch` options for every request, e.g. `{ redirect: 'error' }`.
 */
export function fetchBackend(fetchFn?: typeof fetch, init?: { readonly redirect?: RequestRedirect }): HttpBackend {
  const send: typeof fetch = fetchFn ?? ((input, init) => globalThis.fetch(input, init));
  return (request: HttpRequest) =>
    new Observable((subscriber) => {
      const controller = new AbortController();
      let settled = false;
      (async () => {
        const response = await send(request.url, {
          ...init,
          method: request.method,
          headers: request.headers,
          body: request.body,
          signal: controller.signal,
        });
        const body = await readBody(response, request);
        return { status: response.status, statusText: response.statusText, headers: response.headers, body, url: response.url || request.url };
      })().then(
        (response) => {
          settled = true;
          subscriber.next(response);
          subscriber.complete();
        },
        // After an unsubscribe the subscriber is closed and ignores the abort's rejection.
        (error: unknown) => {
          settled = true;
          subscriber.error(error instanceof HttpClientError ? error : new NetworkError(request.method, request.url, { cause: error }));
        },
      );
      return () => {
        if (!settled) controller.abort();
      };
    });
}
