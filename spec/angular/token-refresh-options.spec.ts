// @vitest-environment happy-dom
// lib/angular/token-refresh-options.ts: what provideTokenRefresh hands to the interceptor, and
// what happens when one of the two is missing.
import './setup.js';
import { HttpClient, HttpContext, provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { provideZonelessChangeDetection } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SKIP_TOKEN_REFRESH, tokenRefreshInterceptor } from '../../lib/angular/index.js';
import { API, OrdersService, record, setupAnsweringRefresh, verifyAndResetAfterEach } from './angular-fixtures.js';

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

describe('provideTokenRefresh without the interceptor', () => {
  verifyAndResetAfterEach();
  // A token endpoint that answers at once; setup(false) leaves the interceptor out.
  const setup = setupAnsweringRefresh;

  it('warns once in dev mode, at the first request', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const { http, httpTesting } = setup(false);

    http.get(`${API}/a`).subscribe();
    http.get(`${API}/b`).subscribe();
    for (const req of httpTesting.match(() => true)) {
      expect(req.request.headers.has('Authorization')).toBe(false);
      req.flush({});
    }

    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toMatch(/tokenRefreshInterceptor did not run.*withInterceptors\(\[tokenRefreshInterceptor\]\)/);
  });

  it('stays silent when the interceptor runs', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const { http, httpTesting } = setup();

    http.get('https://elsewhere.example.test/x').subscribe();
    http.get(`${API}/a`).subscribe();
    for (const req of httpTesting.match(() => true)) req.flush({});

    expect(warn).not.toHaveBeenCalled();
  });
});
