// @vitest-environment happy-dom
import { manualClock } from './setup.js';
import { HttpClient, HttpContext, HttpErrorResponse, provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { Injectable, inject, provideZonelessChangeDetection } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { Subject, VirtualTimeScheduler, type Observable } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  provideTokenRefresh,
  SKIP_TOKEN_REFRESH,
  TOKEN_SESSION,
  tokenRefreshInterceptor,
  TRANSIENT_RETRY,
  type TokenRefreshConfig,
} from '../../lib/angular/index.js';
import { TokenRefreshError } from '../../lib/errors/token-refresh-error.js';
import { TokenRevokedError } from '../../lib/errors/token-revoked-error.js';
import type { RetryOption } from '../../lib/retry/retry-option.js';
import type { SessionEvent } from '../../lib/session/session-event.js';
import type { TokenSet } from '../../lib/session/token-set.js';
import { verifyAndResetAfterEach } from './angular-fixtures.js';

const API = 'https://api.example.test';
const UNAUTHORIZED = { status: 401, statusText: 'Unauthorized' };

@Injectable({ providedIn: 'root' })
class OrdersService {
  private readonly http = inject(HttpClient);
  list() {
    return this.http.get<string[]>(`${API}/orders`);
  }
}

@Injectable({ providedIn: 'root' })
class InvoicesService {
  private readonly http = inject(HttpClient);
  list() {
    return this.http.get<string[]>(`${API}/invoices`);
  }
}

@Injectable({ providedIn: 'root' })
class ProfileService {
  private readonly http = inject(HttpClient);
  get() {
    return this.http.get<string[]>(`${API}/me`);
  }
}

/** Stands in for the router: what the revocation hook injects. */
@Injectable({ providedIn: 'root' })
class SignInRedirect {
  readonly visits: string[] = [];
  go(reason: string) {
    this.visits.push(reason);
  }
}

interface Recorded {
  values: unknown[];
  error: unknown;
}

function record(request$: Observable<unknown>): Recorded {
  const recorded: Recorded = { values: [], error: undefined };
  request$.subscribe({ next: (v) => recorded.values.push(v), error: (e: unknown) => (recorded.error = e) });
  return recorded;
}

function setup(overrides: { tokens?: TokenSet; allowedOrigins?: string[]; retry?: TokenRefreshConfig['retry'] } = {}) {
  const tokenEndpoint: Subject<TokenSet>[] = [];
  const refresh = vi.fn((): Observable<TokenSet> => {
    const answer = new Subject<TokenSet>();
    tokenEndpoint.push(answer);
    return answer;
  });
  const clock = manualClock();
  const backoff = new VirtualTimeScheduler();
  TestBed.configureTestingModule({
    providers: [
      provideZonelessChangeDetection(),
      provideHttpClient(withInterceptors([tokenRefreshInterceptor])),
      provideHttpClientTesting(),
      provideTokenRefresh({
        allowedOrigins: overrides.allowedOrigins ?? [API],
        sessionConfig: {
          tokens: overrides.tokens ?? { accessToken: 'a0', refreshToken: 'r0', expiresAt: clock.now() + 3_600_000 },
          refresh,
          scheduler: clock,
        },
        retry: overrides.retry ?? { maxRetries: 2, scheduler: backoff },
        onRevoked: (event) => inject(SignInRedirect).go(`revoked at generation ${event.generation}`),
      }),
    ],
  });
  const session = TestBed.inject(TOKEN_SESSION);
  const events: SessionEvent[] = [];
  session.events$.subscribe((event) => events.push(event));
  const answerRefresh = (tokens: TokenSet) => {
    const answer = tokenEndpoint.at(-1);
    answer?.next(tokens);
    answer?.complete();
  };
  const failRefresh = (error: unknown) => tokenEndpoint.at(-1)?.error(error);
  return { session, refresh, clock, backoff, events, answerRefresh, failRefresh, httpTesting: TestBed.inject(HttpTestingController) };
}

const bearer = (token: string) => `Bearer ${token}`;

describe('tokenRefreshInterceptor with HttpTestingController', () => {
  verifyAndResetAfterEach();

  describe('when the token is valid', () => {
    it('sends it to the allowed origin as a Bearer header', () => {
      const { httpTesting } = setup();

      const orders = record(TestBed.inject(OrdersService).list());
      const req = httpTesting.expectOne(`${API}/orders`);
      req.flush(['o1']);

      expect(req.request.headers.get('Authorization')).toBe(bearer('a0'));
      expect(orders.values).toEqual([['o1']]);
    });
  });

  describe('when three services get a 401 at once', () => {
    it('refreshes once and sends each request again with the new token', () => {
      const { httpTesting, refresh, answerRefresh, events } = setup();

      const results = [
        record(TestBed.inject(OrdersService).list()),
        record(TestBed.inject(InvoicesService).list()),
        record(TestBed.inject(ProfileService).get()),
      ];
      for (const req of httpTesting.match(() => true)) req.flush(null, UNAUTHORIZED);
      expect(refresh).toHaveBeenCalledOnce();
      httpTesting.expectNone(() => true);
      answerRefresh({ accessToken: 'a1', refreshToken: 'r1' });
      const retried = httpTesting.match(() => true);
      for (const req of retried) req.flush([req.request.url]);

      expect(refresh).toHaveBeenCalledOnce();
      expect(refresh).toHaveBeenCalledWith('r0');
      expect(retried.map((r) => r.request.headers.get('Authorization'))).toEqual([bearer('a1'), bearer('a1'), bearer('a1')]);
      expect(results.map((r) => r.values)).toEqual([[[`${API}/orders`]], [[`${API}/invoices`]], [[`${API}/me`]]]);
      expect(events.filter((e) => e.type === 'request-retried')).toEqual(
        Array(3).fill(expect.objectContaining({ reason: 'unauthorized', method: 'GET' })),
      );
    });
  });

  describe('when a 401 arrives after the refresh it needs has finished', () => {
    it('sends the request again at once with the new token, without a second refresh', () => {
      const { httpTesting, refresh, answerRefresh } = setup();

      const slow = record(TestBed.inject(OrdersService).list());
      const fast = record(TestBed.inject(InvoicesService).list());
      const slowReq = httpTesting.expectOne(`${API}/orders`);
      httpTesting.expectOne(`${API}/invoices`).flush(null, UNAUTHORIZED);
      answerRefresh({ accessToken: 'a1', refreshToken: 'r1' });
      httpTesting.expectOne(`${API}/invoices`).flush(['i1']);
      slowReq.flush(null, UNAUTHORIZED);
      const slowRetry = httpTesting.expectOne(`${API}/orders`);
      slowRetry.flush(['o1']);

      expect(slowReq.request.headers.get('Authorization')).toBe(bearer('a0'));
      expect(slowRetry.request.headers.get('Authorization')).toBe(bearer('a1'));
      expect(refresh).toHaveBeenCalledOnce();
      expect([slow.values, fast.values]).toEqual([[['o1']], [['i1']]]);
    });
  });

  describe('when the retry with the new token gets a 401 too', () => {
    it('fails with that HttpErrorResponse: no second refresh, no loop', () => {
      const { httpTesting, refresh, answerRefresh } = setup();

      const orders = record(TestBed.inject(OrdersService).list());
      httpTesting.expectOne(`${API}/orders`).flush(null, UNAUTHORIZED);
      answerRefresh({ accessToken: 'a1', refreshToken: 'r1' });
      httpTesting.expectOne(`${API}/orders`).flush({ error: 'still no' }, UNAUTHORIZED);

      expect(orders.error).toBeInstanceOf(HttpErrorResponse);
      expect(orders.error).toMatchObject({ status: 401, error: { error: 'still no' } });
      expect(refresh).toHaveBeenCalledOnce();
    });
  });

  describe('when the session is revoked', () => {
    it('fails every waiter and every later request with TokenRevokedError, without the network', () => {
      const { httpTesting, refresh, failRefresh } = setup();

      const results = [
        record(TestBed.inject(OrdersService).list()),
        record(TestBed.inject(InvoicesService).list()),
        record(TestBed.inject(ProfileService).get()),
      ];
      for (const req of httpTesting.match(() => true)) req.flush(null, UNAUTHORIZED);
      failRefresh(new TokenRevokedError());
      const later = record(TestBed.inject(OrdersService).list());

      for (const result of [...results, later]) expect(result.error).toBeInstanceOf(TokenRevokedError);
      httpTesting.expectNone(() => true);
      expect(refresh).toHaveBeenCalledOnce();
    });

    it('runs onRevoked once, in the injection context', () => {
      const { httpTesting, failRefresh } = setup();

      record(TestBed.inject(OrdersService).list());
      record(TestBed.inject(InvoicesService).list());
      for (const req of httpTesting.match(() => true)) req.flush(null, UNAUTHORIZED);
      failRefresh(new TokenRevokedError());
      record(TestBed.inject(ProfileService).get());

      expect(TestBed.inject(SignInRedirect).visits).toEqual(['revoked at generation 1']);
    });
  });

  describe('when the refresh fails for another reason', () => {
    it('fails the request with the TokenRefreshError itself', () => {
      const { httpTesting, failRefresh } = setup();
      const failure = new TokenRefreshError('The token endpoint refused the refresh: invalid_client', { reason: 'oauth-error', transient: false });

      const orders = record(TestBed.inject(OrdersService).list());
      httpTesting.expectOne(`${API}/orders`).flush(null, UNAUTHORIZED);
      failRefresh(failure);

      expect(orders.error).toBe(failure);
    });
  });

  describe('when the token expires within the skew', () => {
    it('refreshes before sending, so the request never gets a 401', () => {
      const { httpTesting, refresh, clock, answerRefresh } = setup();
      clock.advance(3_600_000 - 10_000);

      const orders = record(TestBed.inject(OrdersService).list());
      httpTesting.expectNone(`${API}/orders`);
      answerRefresh({ accessToken: 'a1', refreshToken: 'r1', expiresAt: clock.now() + 3_600_000 });
      const req = httpTesting.expectOne(`${API}/orders`);
      req.flush(['o1']);

      expect(refresh).toHaveBeenCalledOnce();
      expect(req.request.headers.get('Authorization')).toBe(bearer('a1'));
      expect(orders.values).toEqual([['o1']]);
    });
  });

  describe('when the caller unsubscribes', () => {
    it('cancels the request', () => {
      const { httpTesting } = setup();

      const subscription = TestBed.inject(OrdersService).list().subscribe();
      const req = httpTesting.expectOne(`${API}/orders`);
      subscription.unsubscribe();

      expect(req.cancelled).toBe(true);
    });

    it('cancels a pending backoff wait: nothing is sent again', () => {
      const { httpTesting, backoff } = setup();

      const subscription = TestBed.inject(OrdersService).list().subscribe();
      httpTesting.expectOne(`${API}/orders`).flush(null, { status: 503, statusText: 'Service Unavailable' });
      subscription.unsubscribe();
      backoff.flush();

      httpTesting.expectNone(`${API}/orders`);
    });
  });

  describe('when a request is not for an allowed origin', () => {
    it('sends no token to another origin', () => {
      const { httpTesting } = setup();

      record(TestBed.inject(HttpClient).get('https://cdn.example.test/logo.json'));
      const req = httpTesting.expectOne('https://cdn.example.test/logo.json');
      req.flush({});

      expect(req.request.headers.has('Authorization')).toBe(false);
    });

    it('sends no token on a 401 from another origin, and does not refresh', () => {
      const { httpTesting, refresh } = setup();

      const other = record(TestBed.inject(HttpClient).get('https://cdn.example.test/private.json'));
      httpTesting.expectOne('https://cdn.example.test/private.json').flush(null, UNAUTHORIZED);

      expect(other.error).toMatchObject({ status: 401 });
      expect(refresh).not.toHaveBeenCalled();
    });

    it('resolves relative URLs against document.baseURI', () => {
      const { httpTesting } = setup({ allowedOrigins: [API, new URL(document.baseURI).origin] });

      record(TestBed.inject(HttpClient).get('/local/settings'));
      const req = httpTesting.expectOne('/local/settings');
      req.flush({});

      expect(req.request.headers.get('Authorization')).toBe(bearer('a0'));
    });

    it('sends no token with a relative URL when the page origin is not allowed', () => {
      const { httpTesting } = setup();

      record(TestBed.inject(HttpClient).get('/local/settings'));
      const req = httpTesting.expectOne('/local/settings');
      req.flush({});

      expect(req.request.headers.has('Authorization')).toBe(false);
    });
  });

  describe('when the request opts out', () => {
    it('leaves a request with its own Authorization header alone', () => {
      const { httpTesting, refresh } = setup();

      const own = record(TestBed.inject(HttpClient).get(`${API}/orders`, { headers: { Authorization: 'Basic dXNlcjpwdw==' } }));
      const req = httpTesting.expectOne(`${API}/orders`);
      req.flush(null, UNAUTHORIZED);

      expect(req.request.headers.get('Authorization')).toBe('Basic dXNlcjpwdw==');
      expect(own.error).toMatchObject({ status: 401 });
      expect(refresh).not.toHaveBeenCalled();
    });

    it('leaves a request with SKIP_TOKEN_REFRESH alone', () => {
      const { httpTesting, refresh } = setup();

      const context = new HttpContext().set(SKIP_TOKEN_REFRESH, true);
      const open = record(TestBed.inject(HttpClient).get(`${API}/status`, { context }));
      const req = httpTesting.expectOne(`${API}/status`);
      req.flush(null, UNAUTHORIZED);

      expect(req.request.headers.has('Authorization')).toBe(false);
      expect(open.error).toMatchObject({ status: 401 });
      expect(refresh).not.toHaveBeenCalled();
    });
  });

  describe('when the answer is not a token rejection', () => {
    it.each([
      ['a 403', { status: 403, statusText: 'Forbidden' }],
      ['a 401 with insufficient_scope', { ...UNAUTHORIZED, headers: { 'WWW-Authenticate': 'Bearer error="insufficient_scope"' } }],
      ['a 401 with a DPoP nonce challenge', { ...UNAUTHORIZED, headers: { 'WWW-Authenticate': 'DPoP error="use_dpop_nonce"' } }],
    ])('does not refresh after %s', (_, response) => {
      const { httpTesting, refresh } = setup();

      const orders = record(TestBed.inject(OrdersService).list());
      httpTesting.expectOne(`${API}/orders`).flush(null, response);

      expect(orders.error).toBeInstanceOf(HttpErrorResponse);
      expect(orders.error).toMatchObject({ status: response.status });
      expect(refresh).not.toHaveBeenCalled();
    });

    it('refreshes after a 401 with invalid_token', () => {
      const { httpTesting, refresh } = setup();

      record(TestBed.inject(OrdersService).list());
      httpTesting.expectOne(`${API}/orders`).flush(null, { ...UNAUTHORIZED, headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } });

      expect(refresh).toHaveBeenCalledOnce();
    });
  });

  describe('when the API fails with a transient error', () => {
    it('retries an idempotent request after the Retry-After wait', () => {
      const onRetry = vi.fn();
      const backoff = new VirtualTimeScheduler();
      const { httpTesting, events } = setup({ retry: { maxRetries: 2, scheduler: backoff, onRetry } });

      const orders = record(TestBed.inject(OrdersService).list());
      httpTesting.expectOne(`${API}/orders`).flush(null, { status: 503, statusText: 'Service Unavailable', headers: { 'Retry-After': '2' } });
      httpTesting.expectNone(`${API}/orders`);
      backoff.flush();
      const retry = httpTesting.expectOne(`${API}/orders`);
      retry.flush(['o1']);

      expect(backoff.now()).toBe(2_000);
      expect(onRetry).toHaveBeenCalledWith(expect.anything(), 1, 2_000);
      expect(retry.request.headers.get('Authorization')).toBe(bearer('a0'));
      expect(orders.values).toEqual([['o1']]);
      expect(events).toContainEqual(expect.objectContaining({ type: 'request-retried', reason: 'transient', attempt: 1 }));
    });

    it('retries a network error (status 0) and fails with the last HttpErrorResponse', () => {
      const { httpTesting, backoff } = setup();

      const orders = record(TestBed.inject(OrdersService).list());
      for (let attempt = 0; attempt < 3; attempt++) {
        httpTesting.expectOne(`${API}/orders`).error(new ProgressEvent('error'));
        backoff.flush();
      }

      expect(orders.error).toBeInstanceOf(HttpErrorResponse);
      expect(orders.error).toMatchObject({ status: 0 });
    });

    it('does not retry a POST unless it opts in', () => {
      const { httpTesting, backoff } = setup();
      const client = TestBed.inject(HttpClient);
      const unavailable = { status: 503, statusText: 'Service Unavailable' };

      const plain = record(client.post(`${API}/orders`, { item: 1 }));
      httpTesting.expectOne(`${API}/orders`).flush(null, unavailable);
      backoff.flush();
      httpTesting.expectNone(`${API}/orders`);

      const optedIn = record(client.post(`${API}/orders`, { item: 2 }, { context: new HttpContext().set(TRANSIENT_RETRY, 1) }));
      httpTesting.expectOne(`${API}/orders`).flush(null, unavailable);
      backoff.flush();
      httpTesting.expectOne(`${API}/orders`).flush({ id: 2 });

      const keyed = record(client.post(`${API}/orders`, { item: 3 }, { headers: { 'Idempotency-Key': 'k3' } }));
      httpTesting.expectOne(`${API}/orders`).flush(null, unavailable);
      backoff.flush();
      httpTesting.expectOne(`${API}/orders`).flush({ id: 3 });

      expect(plain.error).toMatchObject({ status: 503 });
      expect(optedIn.values).toEqual([{ id: 2 }]);
      expect(keyed.values).toEqual([{ id: 3 }]);
    });

    it('does not retry a GET that sets TRANSIENT_RETRY to false', () => {
      const { httpTesting, backoff } = setup();

      const orders = record(TestBed.inject(HttpClient).get(`${API}/orders`, { context: new HttpContext().set(TRANSIENT_RETRY, false) }));
      httpTesting.expectOne(`${API}/orders`).flush(null, { status: 503, statusText: 'Service Unavailable' });
      backoff.flush();

      httpTesting.expectNone(`${API}/orders`);
      expect(orders.error).toMatchObject({ status: 503 });
    });

    it('fails a request whose TRANSIENT_RETRY is no RetryOption before sending it (it used to mean the default count)', () => {
      const { httpTesting } = setup();
      const client = TestBed.inject(HttpClient);
      const withRetry = (value: unknown) => record(client.get(`${API}/orders`, { context: new HttpContext().set(TRANSIENT_RETRY, value as RetryOption) }));

      const word = withRetry('three');
      const half = withRetry(1.5);
      const typo = withRetry({ retries: 3 });

      httpTesting.expectNone(`${API}/orders`);
      expect(word.error).toEqual(new TypeError('TRANSIENT_RETRY must be false, a number of retries or a RetryBackoffConfig object; got string'));
      expect(half.error).toEqual(new RangeError('TRANSIENT_RETRY must be a whole number of retries >= 0 (or Infinity); got 1.5'));
      expect(typo.error).toBeInstanceOf(TypeError);
      expect((typo.error as Error).message).toMatch(/^TRANSIENT_RETRY has no option `retries`/);
    });

    it('does not retry a 4xx', () => {
      const { httpTesting, backoff } = setup();

      const orders = record(TestBed.inject(OrdersService).list());
      httpTesting.expectOne(`${API}/orders`).flush(null, { status: 404, statusText: 'Not Found' });
      backoff.flush();

      httpTesting.expectNone(`${API}/orders`);
      expect(orders.error).toMatchObject({ status: 404 });
    });
  });
});

describe('tokenRefreshInterceptor without provideTokenRefresh', () => {
  afterEach(() => TestBed.resetTestingModule());

  it('fails the request with a TypeError naming the missing provider', () => {
    TestBed.configureTestingModule({
      providers: [provideZonelessChangeDetection(), provideHttpClient(withInterceptors([tokenRefreshInterceptor])), provideHttpClientTesting()],
    });

    const orders = record(TestBed.inject(OrdersService).list());
    const thirdParty = record(TestBed.inject(HttpClient).get('https://cdn.other.test/lib.json'));

    // Issue 21 item 7: it was a plain Error. Other origins fail too: without provideTokenRefresh's
    // allowedOrigins no request can be told apart from one that needs the token.
    for (const { error } of [orders, thirdParty]) {
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toMatch(/^tokenRefreshInterceptor needs provideTokenRefresh\(\{ allowedOrigins, sessionConfig \}\)/);
    }
    TestBed.inject(HttpTestingController).expectNone(() => true);
  });

  it('lets through the requests it leaves alone under any config: SKIP_TOKEN_REFRESH, or their own Authorization', () => {
    TestBed.configureTestingModule({
      providers: [provideZonelessChangeDetection(), provideHttpClient(withInterceptors([tokenRefreshInterceptor])), provideHttpClientTesting()],
    });
    const client = TestBed.inject(HttpClient);
    const httpTesting = TestBed.inject(HttpTestingController);

    const skipped = record(client.get(`${API}/status`, { context: new HttpContext().set(SKIP_TOKEN_REFRESH, true) }));
    const own = record(client.get(`${API}/me`, { headers: { Authorization: 'Basic dTpw' } }));
    httpTesting.expectOne(`${API}/status`).flush('up');
    httpTesting.expectOne(`${API}/me`).flush('me');

    expect([skipped.values, own.values]).toEqual([['up'], ['me']]);
    httpTesting.verify();
  });
});
