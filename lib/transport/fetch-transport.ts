import { Observable, type Subscriber } from 'rxjs';
import { RxTokenHttpError } from '../errors/rx-token-http-error.js';
import { NetworkError } from '../errors/request-error.js';
import { checkHeaders } from '../util/header-syntax.js';
import { refuseUrlCredentials } from '../util/url-credentials.js';
import type { ApiRequest, ApiResponse } from './api-request.js';
import { hasJsonBody, parseJsonBody, readBody, ResponseTooLargeError } from './response.js';
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
 * @param init Fixed `fetch` options for every request, e.g. `{ redirect: 'manual' }`; and
 *   `maxBodyBytes`, a cap on each response body: a longer one stops being read at the cap and fails
 *   with a `ResponseTooLargeError` (a RangeError, not retried). @default no cap
 */
export function fetchTransport(fetchFn?: typeof fetch, init?: FetchTransportInit): Transport {
  const cap = init?.maxBodyBytes;
  if (cap !== undefined && !(Number.isSafeInteger(cap) && cap >= 0)) throw new RangeError(`fetchTransport: maxBodyBytes must be a whole number of bytes >= 0; got ${String(cap)}`);
  const send: typeof fetch = fetchFn ?? ((input, init) => globalThis.fetch(input, init));
  return (request: ApiRequest) =>
    new Observable<ApiResponse<unknown>>((subscriber) => {
      try {
        checkSendable(request);
      } catch (error) {
        subscriber.error(error);
        return;
      }
      const exchange = new Exchange(subscriber);
      void exchange.run(send, request, init);
      return exchange;
    });
}

/** The fixed options of a {@link fetchTransport}. */
export interface FetchTransportInit {
  readonly redirect?: RequestRedirect;
  /** The longest response body read, in bytes. */
  readonly maxBodyBytes?: number;
}

/**
 * One fetch and its body read for `subscriber`, and its teardown (an object with `unsubscribe`,
 * which rxjs accepts): one object per request where closures and a promise chain were several.
 */
class Exchange {
  readonly #controller = new AbortController();
  readonly #subscriber: Subscriber<ApiResponse<unknown>>;
  #settled = false;

  constructor(subscriber: Subscriber<ApiResponse<unknown>>) {
    this.#subscriber = subscriber;
  }

  async run(send: typeof fetch, request: ApiRequest, init: FetchTransportInit | undefined): Promise<void> {
    let response: ApiResponse<unknown>;
    try {
      const signal = this.#controller.signal;
      const { method, headers, body } = request;
      const answer = await send(request.url, init ? { redirect: init.redirect, method, headers, body, signal } : { method, headers, body, signal });
      const limit = init?.maxBodyBytes;
      const read = limit === undefined && hasJsonBody(answer, request) ? parseJsonBody(await answer.text(), answer, request) : await readBody(answer, request, limit);
      // Not redirected, the response's URL is the request's: reading `url` serialises it anew.
      response = { status: answer.status, statusText: answer.statusText, headers: answer.headers, body: read, url: (answer.redirected && answer.url) || request.url };
    } catch (error) {
      // After an unsubscribe the subscriber is closed and ignores the abort's rejection.
      this.#settled = true;
      const own = error instanceof RxTokenHttpError || error instanceof ResponseTooLargeError;
      this.#subscriber.error(own ? error : new NetworkError(request.method, request.url, { cause: error }));
      return;
    }
    this.#settled = true;
    this.#subscriber.next(response);
    this.#subscriber.complete();
  }

  unsubscribe(): void {
    if (!this.#settled) this.#controller.abort();
  }
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
