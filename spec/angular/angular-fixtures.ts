// What the Angular specs share: after each test, no request left unanswered, and a fresh TestBed;
// the providers of an app with the interceptor on Angular's testing backend; and the set-ups of
// the interceptor's specs (a token endpoint the test answers, or one that answers at once); and an
// app that sends through withFetch() to the fake authorization server behind msw.
import { manualClock } from './setup.js';
import { HttpClient, provideHttpClient, withFetch, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { Injectable, inject, provideZonelessChangeDetection } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { http } from 'msw';
import type { SetupServer } from 'msw/node';
import { of, Subject, VirtualTimeScheduler, type Observable, type SchedulerLike } from 'rxjs';
import { afterAll, afterEach, beforeAll, vi } from 'vitest';
import { provideTokenRefresh, TOKEN_SESSION, tokenRefreshInterceptor, type TokenRefreshConfig } from '../../lib/angular/index.js';
import { oauth2RefreshGrant } from '../../lib/oauth2/oauth2-refresh-grant.js';
import type { TokenSessionConfig } from '../../lib/session/create-token-session.js';
import type { SessionEvent } from '../../lib/session/session-event.js';
import type { TokenSet } from '../../lib/session/token-set.js';
import { createFakeAuthorizationServer, type FakeAuthorizationServerConfig } from '../../lib/testing/fake-authorization-server.js';
import { createOAuth2Handlers } from '../../lib/testing/oauth2-handlers.js';

export const API = 'https://api.example.test';
export const UNAUTHORIZED = { status: 401, statusText: 'Unauthorized' };
export const UNAVAILABLE = { status: 503, statusText: 'Service Unavailable' };

/** After each test of the describe: HttpTestingController.verify(), then TestBed reset even when it fails. */
export function verifyAndResetAfterEach(): void {
  afterEach(() => {
    try {
      TestBed.inject(HttpTestingController).verify();
    } finally {
      TestBed.resetTestingModule();
    }
  });
}

/** Zoneless change detection, HttpClient with tokenRefreshInterceptor (or with no interceptor), the testing backend. */
export function interceptorProviders(withInterceptor = true) {
  return [
    provideZonelessChangeDetection(),
    provideHttpClient(withInterceptors(withInterceptor ? [tokenRefreshInterceptor] : [])),
    provideHttpClientTesting(),
  ];
}

/** An app service that calls one path of the API: what the tests' requests come from. */
function apiService(path: string) {
  @Injectable({ providedIn: 'root' })
  class ApiService {
    readonly http = inject(HttpClient);
    list() {
      return this.http.get<string[]>(`${API}/${path}`);
    }
    get() {
      return this.list();
    }
  }
  return ApiService;
}

export const OrdersService = apiService('orders');
export const InvoicesService = apiService('invoices');
export const ProfileService = apiService('me');

/** Stands in for the router: what the revocation hook injects. */
@Injectable({ providedIn: 'root' })
export class SignInRedirect {
  readonly visits: string[] = [];
  go(reason: string) {
    this.visits.push(reason);
  }
}

export interface Recorded {
  values: unknown[];
  error: unknown;
}

/** Subscribes to `request$` and keeps what it emits and its error. */
export function record(request$: Observable<unknown>): Recorded {
  const recorded: Recorded = { values: [], error: undefined };
  request$.subscribe({ next: (v) => recorded.values.push(v), error: (e: unknown) => (recorded.error = e) });
  return recorded;
}

export const bearer = (token: string) => `Bearer ${token}`;

/**
 * The interceptor with a session whose token endpoint the test answers (`answerRefresh`,
 * `failRefresh` settle the last token call), a clock it moves, and transient retries on a
 * virtual scheduler; `onRevoked` sends the {@link SignInRedirect} to sign-in.
 */
export function setup(overrides: { tokens?: TokenSet; allowedOrigins?: string[]; retry?: TokenRefreshConfig['retry'] } = {}) {
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
      ...interceptorProviders(),
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
  return {
    session,
    refresh,
    clock,
    backoff,
    events,
    answerRefresh,
    failRefresh,
    http: TestBed.inject(HttpClient),
    httpTesting: TestBed.inject(HttpTestingController),
  };
}

/**
 * The interceptor (or, with `false`, none) with a session whose token endpoint answers at once
 * (`a1`, `a2`, …), and up to four transient retries on a virtual scheduler.
 */
export function setupAnsweringRefresh(withInterceptor = true) {
  const clock = manualClock();
  const backoff = new VirtualTimeScheduler();
  let issued = 0;
  const refresh = vi.fn((): Observable<TokenSet> => of({ accessToken: `a${++issued}`, refreshToken: `r${issued}`, expiresAt: clock.now() + 3_600_000 }));
  TestBed.configureTestingModule({
    providers: [
      ...interceptorProviders(withInterceptor),
      provideTokenRefresh({
        allowedOrigins: [API],
        sessionConfig: { tokens: { accessToken: 'a0', refreshToken: 'r0', expiresAt: clock.now() + 3_600_000 }, refresh, scheduler: clock },
        retry: { maxRetries: 4, scheduler: backoff },
      }),
    ],
  });
  return { refresh, backoff, http: TestBed.inject(HttpClient), httpTesting: TestBed.inject(HttpTestingController) };
}

/** `msw` listening for the calling describe; after each test a fresh TestBed, no handlers, no listeners. */
export function useMswWithTestBed(msw: SetupServer): void {
  beforeAll(() => msw.listen({ onUnhandledRequest: 'error' }));
  afterEach(() => {
    TestBed.resetTestingModule();
    msw.resetHandlers();
    msw.events.removeAllListeners();
  });
  afterAll(() => msw.close());
}

/**
 * The fake authorization server behind `msw` (its OAuth2 routes and API on API; tokens live 60 s
 * unless `fake` says), a user signed in on it, and an app on TestBed that sends through
 * withFetch() and tokenRefreshInterceptor with that user's tokens. `session` adds to the
 * session's config, `tokenRefresh` to provideTokenRefresh's; `scheduler` is the refresh grant's.
 */
export function fetchAppOnFakeServer(
  msw: SetupServer,
  options: { fake?: FakeAuthorizationServerConfig; scheduler?: SchedulerLike; session?: Partial<TokenSessionConfig>; tokenRefresh?: Pick<TokenRefreshConfig, 'retry' | 'onRevoked'> } = {},
) {
  const fake = createFakeAuthorizationServer({ accessTokenTtl: 60_000, ...options.fake });
  msw.use(...createOAuth2Handlers({ http, server: fake, origin: API }));
  const issued = fake.signIn();
  TestBed.configureTestingModule({
    providers: [
      provideZonelessChangeDetection(),
      provideHttpClient(withFetch(), withInterceptors([tokenRefreshInterceptor])),
      provideTokenRefresh({
        allowedOrigins: [API],
        sessionConfig: {
          tokens: { accessToken: issued.accessToken, refreshToken: issued.refreshToken },
          refresh: oauth2RefreshGrant({ tokenUrl: `${API}/oauth/token`, scheduler: options.scheduler }),
          ...options.session,
        },
        ...options.tokenRefresh,
      }),
    ],
  });
  return { fake, issued };
}
