import { Observable } from 'rxjs';
import { HttpClientError } from '../errors/http-client-error.js';
import { NetworkError } from '../errors/network-error.js';
import { checkHeaders } from '../util/header-syntax.js';
import { refuseUrlCredentials } from '../util/url-credentials.js';
import type { ApiRequest, ApiResponse } from './api-request.js';
import { readBody } from './read-body.js';
import type { Transport } from './transport.js';

/**
 * The default {@link Transport}: the platform's `fetch`, as a cold observable. Subscribing
 * sends; unsubscribing aborts the fetch and the body read (AbortController).
 *
 * A request fetch must not send (a header name or value it refuses, credentials in the URL)
 * fails at once with a TypeError that names the header but never quotes its value: undici's own
 * error quotes it, and the value may be a token. Such a TypeError is not retried.
 *
 * @param fetchFn Defaults to `globalThis.fetch`, looked up at each call rather than captured at
 *   import, so test doubles and interceptors (msw) installed later still see the requests.
 * @param init Fixed `fetch` options for every request, e.g. `{ redirect: 'manual' }`.
 */
export function fetchTransport(fetchFn?: typeof fetch, init?: { readonly redirect?: RequestRedirect }): Transport {
  const send: typeof fetch = fetchFn ?? ((input, init) => globalThis.fetch(input, init));
  return (request: ApiRequest) =>
    new Observable<ApiResponse<unknown>>((subscriber) => {
      try {
        checkSendable(request);
      } catch (error) {
        subscriber.error(error);
        return;
      }
      const controller = new AbortController();
      let settled = false;
      (async () => {
        const response = await send(request.url, { ...init, method: request.method, headers: request.headers, body: request.body, signal: controller.signal });
        const body = await readBody(response, request);
        // Not redirected, the response's URL is the request's: reading `url` serialises it anew.
        return { status: response.status, statusText: response.statusText, headers: response.headers, body, url: (response.redirected && response.url) || request.url };
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

function checkSendable(request: ApiRequest): void {
  checkHeaders(request.headers);
  // A prefix test first: parsing costs more than the rest of the check.
  if (!request.url.includes('@')) return;
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return; // fetch reports a malformed URL as a network error, as before.
  }
  refuseUrlCredentials(url, 'A request URL');
}
