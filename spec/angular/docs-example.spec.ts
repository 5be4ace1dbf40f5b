// @vitest-environment happy-dom
// The example of docs/angular.md, and the README's Angular service, kept here so that they
// compile (tsc) and run. spec/docs/examples.spec.ts checks that the docs quote this file.
import './setup.js';
import { HttpClient, provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting, type TestRequest } from '@angular/common/http/testing';
import { Injectable, InjectionToken, inject, provideZonelessChangeDetection } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { debounceTime, distinctUntilChanged, firstValueFrom, NEVER, switchMap, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { provideTokenRefresh, TOKEN_SESSION, tokenRefreshInterceptor } from '../../lib/angular/index.js';
import { createHttpClient } from '../../lib/client/create-http-client.js';
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

/* orders.service.ts: the README's Angular-style service, as a fresh Angular CLI app compiles it */

export interface Order {
  readonly id: string;
  readonly sku: string;
  readonly quantity: number;
}
export type NewOrder = Omit<Order, 'id'>;

/** Your API's base URL: `{ provide: API_URL, useValue: 'https://api.example.com/v1' }` in app.config.ts. */
export const API_URL = new InjectionToken<string>('API_URL');

@Injectable({ providedIn: 'root' })
export class OrdersService {
  private readonly api = createHttpClient({ baseUrl: inject(API_URL), session: inject(TOKEN_SESSION) });

  readonly orders$ = this.api.get<Order[]>('/orders');
  place(order: NewOrder) {
    return this.api.post<Order>('/orders', order, { headers: { 'Idempotency-Key': crypto.randomUUID() } });
  }
}

describe('OrdersService (the README example)', () => {
  afterEach(() => {
    TestBed.resetTestingModule();
    vi.unstubAllGlobals();
  });

  it("reads and places orders at API_URL with the session's token, each order with its own Idempotency-Key", async () => {
    const sent: { method: string; url: string; headers: Headers }[] = [];
    vi.stubGlobal('fetch', async (input: string | URL | Request, init?: RequestInit) => {
      const url = input instanceof Request ? input.url : String(input);
      sent.push({ method: init?.method ?? 'GET', url, headers: new Headers(init?.headers) });
      const body = init?.method === 'POST' ? { id: 'o-2', sku: 'tea', quantity: 1 } : [{ id: 'o-1', sku: 'teapot', quantity: 2 }];
      return new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } });
    });
    TestBed.configureTestingModule({
      providers: [
        provideZonelessChangeDetection(),
        provideTokenRefresh({
          allowedOrigins: ['https://api.example.com'],
          sessionConfig: { tokens: { accessToken: 'a1', refreshToken: 'r1', expiresAt: Date.now() + 3_600_000 }, refresh: () => NEVER },
        }),
        { provide: API_URL, useValue: 'https://api.example.com/v1' },
      ],
    });
    const orders = TestBed.inject(OrdersService);

    await expect(firstValueFrom(orders.orders$)).resolves.toEqual([{ id: 'o-1', sku: 'teapot', quantity: 2 }]);
    await firstValueFrom(orders.place({ sku: 'tea', quantity: 1 }));
    await firstValueFrom(orders.place({ sku: 'tea', quantity: 1 }));

    expect(sent.map((r) => `${r.method} ${r.url} ${r.headers.get('authorization')}`)).toEqual([
      'GET https://api.example.com/v1/orders Bearer a1',
      'POST https://api.example.com/v1/orders Bearer a1',
      'POST https://api.example.com/v1/orders Bearer a1',
    ]);
    const keys = sent.slice(1).map((r) => r.headers.get('idempotency-key'));
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(keys[1]).not.toBe(keys[0]);
  });
});
