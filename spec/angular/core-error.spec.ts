// @vitest-environment happy-dom
// lib/angular/core-error.ts: Angular's failures as the core's errors, for its classifiers, and back.
import './setup.js';
import { HttpErrorResponse, HttpHeaders } from '@angular/common/http';
import { describe, expect, it } from 'vitest';
import { fromCoreError, toCoreError } from '../../lib/angular/core-error.js';
import { HttpError, NetworkError } from '../../lib/errors/request-error.js';
import { isTokenRejection } from '../../lib/auth/authorize.js';
import { isTransientError } from '../../lib/retry/is-transient-error.js';

const URL = 'https://api.example.test/orders';

describe('toCoreError', () => {
  it('turns status 0 into a NetworkError, which the core retries as transient', () => {
    const failure = new HttpErrorResponse({ status: 0, url: URL });
    const error = toCoreError(failure, 'GET', URL);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).cause).toBe(failure);
    expect(isTransientError(error)).toBe(true);
  });

  it('turns another status into an HttpError with its status and headers, so a 401 with Bearer reads as a token rejection', () => {
    const failure = new HttpErrorResponse({
      status: 401,
      statusText: 'Unauthorized',
      url: URL,
      headers: new HttpHeaders({ 'WWW-Authenticate': 'Bearer error="invalid_token"' }),
    });
    const error = toCoreError(failure, 'GET', URL) as HttpError;
    expect(error).toBeInstanceOf(HttpError);
    expect([error.method, error.url, error.status, error.statusText]).toEqual(['GET', URL, 401, 'Unauthorized']);
    expect(error.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect(error.cause).toBe(failure);
    expect(isTokenRejection(error)).toBe(true);
  });

  it('keeps the URL that answered, resolved against the request (a 401 from another origin must not refresh)', () => {
    const redirected = toCoreError(new HttpErrorResponse({ status: 401, url: 'https://elsewhere.test/login' }), 'GET', URL) as HttpError;
    const relative = toCoreError(new HttpErrorResponse({ status: 503, url: '/orders?page=2' }), 'GET', URL) as HttpError;
    const none = toCoreError(new HttpErrorResponse({ status: 503 }), 'GET', URL) as HttpError;
    expect(redirected.responseUrl).toBe('https://elsewhere.test/login');
    expect(relative.responseUrl).toBe('https://api.example.test/orders?page=2');
    expect(none.responseUrl).toBe(URL);
  });

  it('keeps the headers when one value is one fetch would refuse, rather than failing', () => {
    const failure = new HttpErrorResponse({ status: 503, url: URL, headers: new HttpHeaders({ 'Retry-After': '2', 'X-Bad': 'a\nb' }) });
    const error = toCoreError(failure, 'GET', URL) as HttpError;
    expect(error.headers.get('retry-after')).toBe('2');
  });

  it('returns any other error as it is', () => {
    const other = new TypeError('not HTTP');
    expect(toCoreError(other, 'GET', URL)).toBe(other);
  });
});

describe('fromCoreError', () => {
  it("gives the app Angular's HttpErrorResponse back for the errors toCoreError made", () => {
    const failure = new HttpErrorResponse({ status: 500, url: URL });
    expect(fromCoreError(toCoreError(failure, 'GET', URL))).toBe(failure);
  });

  it("passes an HttpError of the app's own code, and any other error, through untouched", () => {
    const own = new HttpError({ method: 'GET', url: URL, status: 500, cause: new Error('inner') });
    const other = new Error('other');
    expect(fromCoreError(own)).toBe(own);
    expect(fromCoreError(other)).toBe(other);
    expect(fromCoreError(undefined)).toBeUndefined();
  });
});
