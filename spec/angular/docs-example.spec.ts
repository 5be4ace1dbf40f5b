// @vitest-environment happy-dom
// The example of docs/angular.md, kept here so that it runs. Keep the two in step.
import './setup.js';
import { HttpClient, provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting, type TestRequest } from '@angular/common/http/testing';
import { Injectable, inject, provideZonelessChangeDetection } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { debounceTime, distinctUntilChanged, NEVER, switchMap, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { provideTokenRefresh, tokenRefreshInterceptor } from '../../lib/angular/index.js';
import { TokenRevokedError } from '../../lib/errors/token-revoked-error.js';
import type { TokenSet } from '../../lib/session/token-set.js';
import { verifyAndResetAfterEach } from './angular-fixtures.js';

/* product-search.service.ts */

export interface Product {
  readonly id: number;
  readonly name: string;
}

@Injectable({ providedIn: 'root' })
export class ProductSearch {
  private readonly http = inject(HttpClient);

  /**
   * Searches as the user types: waits for a 300 ms pause, skips a repeated term, and drops
   * (aborts) the request for a term the user has already changed.
   */
  results(terms: Observable<string>): Observable<Product[]> {
    return terms.pipe(
      debounceTime(300),
      distinctUntilChanged(),
      switchMap((q) => this.http.get<Product[]>('https://api.example.com/products', { params: { q } })),
    );
  }
}

/* product-search.service.spec.ts */

const teapot: Product = { id: 7, name: 'Teapot' };
const newTokens: TokenSet = { accessToken: 'a2', refreshToken: 'r2', expiresAt: 3_660_000 };

describe('ProductSearch', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });
  verifyAndResetAfterEach();

  /** The app's providers, with the token endpoint and the clock under the test's control. */
  function configure(tokens: TokenSet, tokenEndpoint: Observable<TokenSet>) {
    TestBed.configureTestingModule({
      providers: [
        provideZonelessChangeDetection(),
        provideHttpClient(withInterceptors([tokenRefreshInterceptor])),
        provideHttpClientTesting(),
        provideTokenRefresh({
          allowedOrigins: ['https://api.example.com'],
          sessionConfig: { tokens, refresh: () => tokenEndpoint, scheduler: testScheduler },
        }),
      ],
    });
    return { search: TestBed.inject(ProductSearch), httpTesting: TestBed.inject(HttpTestingController) };
  }

  /** Does `work` at `ms` of virtual time: the server answers then. */
  function at(ms: number, work: () => void): void {
    testScheduler.schedule(work, ms);
  }

  it('searches for the last term after a pause and aborts the stale request', () => {
    let stale: TestRequest | undefined;
    let sent: TestRequest | undefined;

    testScheduler.run(({ hot, expectObservable }) => {
      const { search, httpTesting } = configure({ accessToken: 'a1', refreshToken: 'r1', expiresAt: 3_600_000 }, NEVER);
      const terms = hot('-a 399ms b', { a: 'tea', b: 'teapot' });

      at(350, () => (stale = httpTesting.expectOne('https://api.example.com/products?q=tea')));
      at(750, () => {
        sent = httpTesting.expectOne('https://api.example.com/products?q=teapot');
        sent.flush([teapot]);
      });

      expectObservable(search.results(terms)).toBe('750ms r', { r: [teapot] });
    });

    expect(stale?.cancelled).toBe(true);
    expect(sent?.request.headers.get('Authorization')).toBe('Bearer a1');
  });

  it('refreshes a token that is about to expire once, before sending the search', () => {
    let sent: TestRequest | undefined;

    testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const tokenEndpoint = cold('10ms (t|)', { t: newTokens });
      const { search, httpTesting } = configure({ accessToken: 'a1', refreshToken: 'r1', expiresAt: 60_000 }, tokenEndpoint);
      const terms = hot('50s a', { a: 'teapot' });

      at(50_320, () => {
        sent = httpTesting.expectOne('https://api.example.com/products?q=teapot');
        sent.flush([teapot]);
      });

      expectObservable(search.results(terms)).toBe('50320ms r', { r: [teapot] });
      expectSubscriptions(tokenEndpoint.subscriptions).toBe('50300ms ^ 9ms !');
    });

    expect(sent?.request.headers.get('Authorization')).toBe('Bearer a2');
  });

  it('answers a 401 by waiting for the refresh and sending the search again', () => {
    let retried: TestRequest | undefined;

    testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const tokenEndpoint = cold('10ms (t|)', { t: newTokens });
      const { search, httpTesting } = configure({ accessToken: 'a1', refreshToken: 'r1', expiresAt: 3_600_000 }, tokenEndpoint);
      const terms = hot('-a', { a: 'teapot' });

      at(320, () => httpTesting.expectOne('https://api.example.com/products?q=teapot').flush(null, { status: 401, statusText: 'Unauthorized' }));
      at(340, () => {
        retried = httpTesting.expectOne('https://api.example.com/products?q=teapot');
        retried.flush([teapot]);
      });

      expectObservable(search.results(terms)).toBe('340ms r', { r: [teapot] });
      expectSubscriptions(tokenEndpoint.subscriptions).toBe('320ms ^ 9ms !');
    });

    expect(retried?.request.headers.get('Authorization')).toBe('Bearer a2');
  });

  it('fails with TokenRevokedError when the refresh token was revoked', () => {
    const revoked = new TokenRevokedError();

    testScheduler.run(({ cold, hot, expectObservable }) => {
      const tokenEndpoint = cold<TokenSet>('10ms #', undefined, revoked);
      const { search, httpTesting } = configure({ accessToken: 'a1', refreshToken: 'r1', expiresAt: 3_600_000 }, tokenEndpoint);
      const terms = hot('-a', { a: 'teapot' });

      at(320, () => httpTesting.expectOne('https://api.example.com/products?q=teapot').flush(null, { status: 401, statusText: 'Unauthorized' }));

      expectObservable(search.results(terms)).toBe('330ms #', undefined, revoked);
    });
  });
});
