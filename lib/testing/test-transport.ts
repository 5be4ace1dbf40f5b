import { Observable, defer, from, map, type ObservableInput } from 'rxjs';
import { NetworkError } from '../errors/request-error.js';
import type { ApiRequest, ApiResponse } from '../transport/api-request.js';
import type { Transport } from '../transport/transport.js';

/** A scripted response. The body is handed over as is, already "parsed". */
export interface TestResponse {
  /** @default 200 */
  readonly status?: number;
  readonly statusText?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  /** The URL that answered, as after a redirect. @default the request's URL */
  readonly url?: string;
}

/**
 * Which requests a call means: a URL (absolute, or a path compared with the URL's pathname),
 * a `{ method, url }` pair where `url` may be a RegExp, or a predicate.
 */
export type RequestMatch =
  | string
  | { readonly method?: string; readonly url?: string | RegExp }
  | ((request: ApiRequest) => boolean);

/** A request waiting for the test to answer it, as in Angular's `HttpTestingController`. */
export interface TestRequest {
  /** What the client sent, headers included (the `authorization` header too). */
  readonly request: ApiRequest;
  /** True once the client unsubscribed: the request was aborted. */
  readonly cancelled: boolean;
  /** Answers with `body` and, optionally, a status and headers. */
  flush(body?: unknown, response?: Omit<TestResponse, 'body'>): void;
  /** Fails the request as a network failure would (a `NetworkError` unless given another error). */
  error(error?: unknown): void;
}

/** A virtual-time {@link Transport} with expectations, for `createHttpClient({ transport })`. */
export interface TestTransport {
  /** Give this to `createHttpClient({ transport })`. */
  readonly transport: Transport;
  /** Every request sent so far, in order (answered, pending or cancelled). */
  readonly requests: readonly TestRequest[];
  /**
   * Answers every matching request with `reply`: a response, or an observable of one. Cold
   * observables from `TestScheduler` give answers in virtual time: `() => cold('--r|', { r })`.
   */
  when(match: RequestMatch, reply: TestResponse | ((request: ApiRequest) => ObservableInput<TestResponse>)): void;
  /** The one pending request that matches; throws when there are none or several. */
  expectOne(match: RequestMatch): TestRequest;
  /** Throws when a pending request matches. */
  expectNone(match: RequestMatch): void;
  /** Every pending request that matches (possibly none). */
  match(match: RequestMatch): TestRequest[];
  /** Throws when a request is still pending (not answered and not cancelled). */
  verify(): void;
}

interface Pending extends TestRequest {
  settled: boolean;
  cancelled: boolean;
}

/**
 * Creates a {@link TestTransport}. Requests that no `when` rule answers wait until the test calls
 * `expectOne(...).flush(...)`. Unsubscribing marks the request `cancelled`, like an abort.
 *
 * @example
 * const test = createTestTransport();
 * const api = createHttpClient({ baseUrl: 'https://api.test', transport: test.transport, session });
 * api.get('/me').subscribe((me) => render(me));
 * test.expectOne('/me').flush({ name: 'Ada' });
 * test.verify();
 */
export function createTestTransport(): TestTransport {
  const requests: Pending[] = [];
  const rules: { match: RequestMatch; reply: (request: ApiRequest) => ObservableInput<TestResponse> }[] = [];
  const pending = (match: RequestMatch): Pending[] => requests.filter((r) => !r.settled && !r.cancelled && matches(match, r.request));

  const transport: Transport = (request) => {
    const rule = rules.find((r) => matches(r.match, request));
    if (rule) {
      return defer(() => {
        requests.push(answeredByRule(request));
        return from(rule.reply(request)).pipe(map((response) => toResponse(request, response)));
      });
    }
    return answeredByTest(request, requests);
  };

  return {
    transport,
    get requests() {
      return requests;
    },
    when(match, reply) {
      rules.push({ match, reply: typeof reply === 'function' ? reply : () => [reply] });
    },
    expectOne(match) {
      const found = pending(match);
      if (found.length !== 1) {
        throw new Error(`Expected one pending request for ${describeMatch(match)}, found ${found.length}${listPending(requests)}`);
      }
      return found[0] as Pending;
    },
    expectNone(match) {
      const found = pending(match);
      if (found.length > 0) throw new Error(`Expected no pending request for ${describeMatch(match)}, found ${found.length}`);
    },
    match: pending,
    verify() {
      const open = requests.filter((r) => !r.settled && !r.cancelled);
      if (open.length > 0) throw new Error(`Expected no pending requests, found ${open.length}${listPending(requests)}`);
    },
  };
}

// A request the test answers by hand: it waits in `requests` until flush() or error().
function answeredByTest(request: ApiRequest, requests: Pending[]): Observable<ApiResponse<unknown>> {
  return new Observable<ApiResponse<unknown>>((subscriber) => {
    const entry: Pending = {
      request,
      cancelled: false,
      settled: false,
      flush(body, init = {}) {
        settle(entry, 'flush');
        subscriber.next(toResponse(request, { ...init, body }));
        subscriber.complete();
      },
      error(error = new NetworkError(request.method, request.url)) {
        settle(entry, 'error');
        subscriber.error(error);
      },
    };
    requests.push(entry);
    return () => {
      if (!entry.settled) entry.cancelled = true;
    };
  });
}

function answeredByRule(request: ApiRequest): Pending {
  const refuse = (): never => {
    throw new Error(`${request.method} ${request.url} is answered by a when() rule`);
  };
  return { request, cancelled: false, settled: true, flush: refuse, error: refuse };
}

function settle(entry: Pending, action: string): void {
  if (entry.cancelled) throw new Error(`Cannot ${action} ${entry.request.method} ${entry.request.url}: it was cancelled`);
  if (entry.settled) throw new Error(`Cannot ${action} ${entry.request.method} ${entry.request.url}: it was answered already`);
  entry.settled = true;
}

function toResponse(request: ApiRequest, response: TestResponse): ApiResponse<unknown> {
  return {
    status: response.status ?? 200,
    statusText: response.statusText ?? '',
    headers: new Headers(response.headers),
    body: response.body ?? null,
    url: response.url ?? request.url,
  };
}

function matches(match: RequestMatch, request: ApiRequest): boolean {
  if (typeof match === 'function') return match(request);
  if (typeof match === 'string') return urlMatches(match, request.url);
  if (match.method !== undefined && match.method.toUpperCase() !== request.method) return false;
  if (match.url === undefined) return true;
  return typeof match.url === 'string' ? urlMatches(match.url, request.url) : match.url.test(request.url);
}

function urlMatches(expected: string, actual: string): boolean {
  if (expected === actual) return true;
  const url = new URL(actual);
  return expected === url.pathname || expected === url.pathname + url.search;
}

function describeMatch(match: RequestMatch): string {
  if (typeof match === 'function') return 'the predicate';
  if (typeof match === 'string') return match;
  return `${match.method ?? '*'} ${match.url === undefined ? '*' : String(match.url)}`;
}

function listPending(requests: readonly Pending[]): string {
  const open = requests.filter((r) => !r.settled && !r.cancelled);
  return open.length === 0 ? '' : `; pending: ${open.map((r) => `${r.request.method} ${r.request.url}`).join(', ')}`;
}
