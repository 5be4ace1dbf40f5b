// @vitest-environment happy-dom
import { manualClock } from './setup.js';
import { HttpClient, provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { provideZonelessChangeDetection } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { Subject, VirtualTimeScheduler, type Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { provideTokenRefresh, TOKEN_SESSION, tokenRefreshInterceptor } from '../../lib/angular/index.js';
import { TokenRefreshError } from '../../lib/errors/token-refresh-error.js';
import type { TokenSet } from '../../lib/session/token-set.js';
import { verifyAndResetAfterEach } from './angular-fixtures.js';

// DESIGN rule 18 through the Angular interceptor: a request sent as alice is never sent as bob.
const API = 'https://api.example.test';

function setup() {
  const tokenEndpoint: Subject<TokenSet>[] = [];
  const clock = manualClock();
  const backoff = new VirtualTimeScheduler();
  TestBed.configureTestingModule({
    providers: [
      provideZonelessChangeDetection(),
      provideHttpClient(withInterceptors([tokenRefreshInterceptor])),
      provideHttpClientTesting(),
      provideTokenRefresh({
        allowedOrigins: [API],
        sessionConfig: {
          tokens: { accessToken: 'alice-a1', refreshToken: 'alice-r1', expiresAt: clock.now() + 3_600_000 },
          refresh: (): Observable<TokenSet> => {
            const answer = new Subject<TokenSet>();
            tokenEndpoint.push(answer);
            return answer;
          },
          scheduler: clock,
        },
        retry: { maxRetries: 2, scheduler: backoff },
      }),
    ],
  });
  const answerRefresh = (tokens: TokenSet) => {
    tokenEndpoint.at(-1)?.next(tokens);
    tokenEndpoint.at(-1)?.complete();
  };
  return { session: TestBed.inject(TOKEN_SESSION), http: TestBed.inject(HttpClient), httpTesting: TestBed.inject(HttpTestingController), backoff, answerRefresh };
}

function failureOf(request$: Observable<unknown>): { error: unknown; values: unknown[] } {
  const seen = { error: undefined as unknown, values: [] as unknown[] };
  request$.subscribe({ next: (value) => seen.values.push(value), error: (error: unknown) => (seen.error = error) });
  return seen;
}

function expectSignInChanged(error: unknown): void {
  expect(error).toBeInstanceOf(TokenRefreshError);
  expect((error as TokenRefreshError).reason).toBe('sign-in-changed');
  expect((error as Error).message).toContain(`GET ${API}/orders`);
  expect((error as Error).message).not.toMatch(/alice|bob/);
}

describe('tokenRefreshInterceptor keeps a request\'s sign-in (DESIGN rule 18)', () => {
  verifyAndResetAfterEach();

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
