// @vitest-environment happy-dom
import { manualClock } from './setup.js';
import { HttpClient, HttpErrorResponse, provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { provideZonelessChangeDetection } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { of, VirtualTimeScheduler, type Observable } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { provideTokenRefresh, tokenRefreshInterceptor } from '../../lib/angular/index.js';
import type { TokenSet } from '../../lib/session/token-set.js';
import { verifyAndResetAfterEach } from './angular-fixtures.js';

const API = 'https://api.example.test';
const UNAUTHORIZED = { status: 401, statusText: 'Unauthorized' };
const UNAVAILABLE = { status: 503, statusText: 'Service Unavailable' };

function setup(withInterceptor = true) {
  const clock = manualClock();
  const backoff = new VirtualTimeScheduler();
  let issued = 0;
  const refresh = vi.fn((): Observable<TokenSet> => of({ accessToken: `a${++issued}`, refreshToken: `r${issued}`, expiresAt: clock.now() + 3_600_000 }));
  TestBed.configureTestingModule({
    providers: [
      provideZonelessChangeDetection(),
      provideHttpClient(withInterceptors(withInterceptor ? [tokenRefreshInterceptor] : [])),
      provideHttpClientTesting(),
      provideTokenRefresh({
        allowedOrigins: [API],
        sessionConfig: { tokens: { accessToken: 'a0', refreshToken: 'r0', expiresAt: clock.now() + 3_600_000 }, refresh, scheduler: clock },
        retry: { maxRetries: 4, scheduler: backoff },
      }),
    ],
  });
  return { refresh, backoff, http: TestBed.inject(HttpClient), httpTesting: TestBed.inject(HttpTestingController) };
}

describe('tokenRefreshInterceptor hardening (issue 8)', () => {
  verifyAndResetAfterEach();

  it('#3 refreshes at most once per request through 401, 503, 401, 503, …: the second 401 is the error', () => {
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

  describe('#13 provideTokenRefresh without the interceptor', () => {
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
});
