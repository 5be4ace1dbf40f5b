// @vitest-environment happy-dom
// lib/angular/token-refresh-interceptor.ts: Angular's requests through the request path, on
// Angular's testing backend (token-refresh-interceptor-with-fetch.spec.ts: with withFetch() and msw).
import './setup.js';
import { HttpClient, HttpErrorResponse } from '@angular/common/http';
import { TestBed } from '@angular/core/testing';
import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { TokenRefreshError } from '../../lib/errors/token-refresh-error.js';
import { TokenRevokedError } from '../../lib/errors/token-revoked-error.js';
import {
  API,
  bearer,
  InvoicesService,
  OrdersService,
  ProfileService,
  record,
  setup,
  setupAnsweringRefresh,
  SignInRedirect,
  UNAUTHORIZED,
  UNAVAILABLE,
  verifyAndResetAfterEach,
} from './angular-fixtures.js';

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

describe('tokenRefreshInterceptor through 401s and transient errors', () => {
  verifyAndResetAfterEach();
  // A token endpoint that answers at once, and four transient retries.
  const setup = setupAnsweringRefresh;

  it('refreshes at most once per request through 401, 503, 401, 503, …: the second 401 is the error', () => {
    const { refresh, backoff, http, httpTesting } = setup();
    let error: unknown;
    http.get(`${API}/orders`).subscribe({ error: (e: unknown) => (error = e) });

    httpTesting.expectOne(`${API}/orders`).flush(null, UNAUTHORIZED);
    const afterRefresh = httpTesting.expectOne(`${API}/orders`);
    expect(afterRefresh.request.headers.get('Authorization')).toBe('Bearer a1');
    afterRefresh.flush(null, UNAVAILABLE);
    backoff.flush();
    httpTesting.expectOne(`${API}/orders`).flush(null, UNAUTHORIZED);
    backoff.flush();

    httpTesting.expectNone(`${API}/orders`);
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(error).toBeInstanceOf(HttpErrorResponse);
    expect(error).toMatchObject({ status: 401 });
  });
});

/** The request failed because another user signed in while it waited; its message names the request, not the users. */
function expectSignInChanged(error: unknown): void {
  expect(error).toBeInstanceOf(TokenRefreshError);
  expect((error as TokenRefreshError).reason).toBe('sign-in-changed');
  expect((error as Error).message).toContain(`GET ${API}/orders`);
  expect((error as Error).message).not.toMatch(/alice|bob/);
}

function setupSignedInAsAlice() {
  return setup({ tokens: { accessToken: 'alice-a1', refreshToken: 'alice-r1', expiresAt: Date.now() + 3_600_000 } });
}

describe('tokenRefreshInterceptor keeps a request\'s sign-in (rule 18)', () => {
  verifyAndResetAfterEach();
  // Alice is signed in; the tests sign bob in while her request waits.
  const setup = setupSignedInAsAlice;
  const failureOf = record;

  it('does not send a request 401\'d as alice again as bob when bob signs in during the refresh', () => {
    const { session, http, httpTesting, answerRefresh } = setup();

    const orders = failureOf(http.get(`${API}/orders`));
    const first = httpTesting.expectOne(`${API}/orders`);
    first.flush(null, { status: 401, statusText: 'Unauthorized' });
    session.setTokens({ accessToken: 'bob-a1', refreshToken: 'bob-r1' });
    expectSignInChanged(orders.error);
    answerRefresh({ accessToken: 'alice-a2', refreshToken: 'alice-r2' });

    httpTesting.expectNone(`${API}/orders`);
    expect(first.request.headers.get('Authorization')).toBe('Bearer alice-a1');
    expect(session.state.tokens?.accessToken).toBe('bob-a1');
    expect(orders.values).toEqual([]);
  });

  it('does not send it again as bob when bob signs in during a transient retry\'s backoff', () => {
    const { session, http, httpTesting, backoff } = setup();

    const orders = failureOf(http.get(`${API}/orders`));
    httpTesting.expectOne(`${API}/orders`).flush(null, { status: 503, statusText: 'Service Unavailable' });
    session.setTokens({ accessToken: 'bob-a1', refreshToken: 'bob-r1' });
    backoff.flush();

    httpTesting.expectNone(`${API}/orders`);
    expectSignInChanged(orders.error);
  });

  it('sends it again with the refreshed token of the same sign-in', () => {
    const { http, httpTesting, answerRefresh } = setup();

    const orders = failureOf(http.get(`${API}/orders`));
    httpTesting.expectOne(`${API}/orders`).flush(null, { status: 401, statusText: 'Unauthorized' });
    answerRefresh({ accessToken: 'alice-a2', refreshToken: 'alice-r2' });
    const retry = httpTesting.expectOne(`${API}/orders`);
    retry.flush(['o1']);

    expect(retry.request.headers.get('Authorization')).toBe('Bearer alice-a2');
    expect(orders.values).toEqual([['o1']]);
    expect(orders.error).toBeUndefined();
  });
});
