// @vitest-environment happy-dom
import { manualClock } from './setup.js';
import { HttpClient, HttpErrorResponse } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { filter, firstValueFrom } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { TOKEN_SESSION } from '../../lib/angular/index.js';
import { TokenRevokedError } from '../../lib/errors/token-revoked-error.js';
import type { SessionEvent } from '../../lib/session/session-event.js';
import type { FakeAuthorizationServerConfig } from '../../lib/testing/fake-authorization-server.js';
import { outcome, outcomes } from '../helpers/outcomes.js';
import { API, fetchAppOnFakeServer, useMswWithTestBed } from './angular-fixtures.js';

const msw = setupServer();

interface Echo {
  readonly ok: boolean;
  readonly path: string;
}

// Three services that know nothing of tokens, as in an app.
@Injectable({ providedIn: 'root' })
class OrdersService {
  private readonly http = inject(HttpClient);
  list() {
    return this.http.get<Echo>(`${API}/api/orders`);
  }
}

@Injectable({ providedIn: 'root' })
class InvoicesService {
  private readonly http = inject(HttpClient);
  list() {
    return this.http.get<Echo>(`${API}/api/invoices`);
  }
}

@Injectable({ providedIn: 'root' })
class ProfileService {
  private readonly http = inject(HttpClient);
  get() {
    return this.http.get<Echo>(`${API}/api/me`);
  }
  rename(name: string) {
    return this.http.post<Echo>(`${API}/api/status/503`, { name });
  }
}

function setup(config: FakeAuthorizationServerConfig = {}) {
  const clock = manualClock();
  const onRevoked = vi.fn();
  const { fake, issued } = fetchAppOnFakeServer(msw, {
    fake: config,
    scheduler: clock,
    session: { refreshRetry: { baseDelay: 1 }, scheduler: clock },
    tokenRefresh: { retry: { maxRetries: 2, baseDelay: 1 }, onRevoked },
  });
  const session = TestBed.inject(TOKEN_SESSION);
  const timeline: string[] = [];
  const events: SessionEvent[] = [];
  session.events$.subscribe((event) => {
    events.push(event);
    timeline.push(event.type);
  });
  const sent: { url: string; authorization: string | null }[] = [];
  msw.events.on('request:start', ({ request }) => {
    sent.push({ url: request.url, authorization: request.headers.get('authorization') });
  });
  msw.events.on('response:mocked', ({ request, response }) => {
    timeline.push(`${response.status} ${new URL(request.url).pathname}`);
  });
  return { fake, issued, clock, session, onRevoked, events, timeline, sent };
}

describe('tokenRefreshInterceptor with withFetch() and msw', () => {
  useMswWithTestBed(msw);

  describe('when three services call at once with a token the server has expired', () => {
    it('refreshes once and every call succeeds with the new token', async () => {
      const { fake, session, events, sent } = setup({ tokenDelay: 20 });
      fake.expireAccessTokens();

      const results = await outcomes([
        TestBed.inject(OrdersService).list(),
        TestBed.inject(InvoicesService).list(),
        TestBed.inject(ProfileService).get(),
      ]);

      expect(results.map((r) => r.ok && (r.value as Echo).path)).toEqual(['/api/orders', '/api/invoices', '/api/me']);
      expect(fake.stats).toMatchObject({ tokenRequests: 1, refreshGrants: 1, reuseDetected: 0, apiUnauthorized: 3 });
      expect(events.filter((e) => e.type === 'request-retried')).toHaveLength(3);
      const retried = sent.filter((s) => s.url.includes('/api/')).slice(3);
      expect(retried.map((s) => s.authorization)).toEqual(Array(3).fill(`Bearer ${session.state.tokens?.accessToken}`));
    });
  });

  describe('when the token expires within the skew', () => {
    it('refreshes before sending: no request gets a 401', async () => {
      const { fake, clock, session, sent } = setup();
      clock.advance(50_000);

      const results = await outcomes([TestBed.inject(OrdersService).list(), TestBed.inject(InvoicesService).list()]);

      expect(results.every((r) => r.ok)).toBe(true);
      expect(fake.stats).toMatchObject({ tokenRequests: 1, apiUnauthorized: 0, apiRequests: 2 });
      const apiCalls = sent.filter((s) => s.url.includes('/api/'));
      expect(apiCalls.map((s) => s.authorization)).toEqual(Array(2).fill(`Bearer ${session.state.tokens?.accessToken}`));
    });
  });

  describe('when a 401 arrives after the refresh it needs has finished', () => {
    it('sends the request again with the new token, without a second refresh', async () => {
      const { fake, session, timeline } = setup();
      fake.expireAccessTokens();
      const refreshed = firstValueFrom(session.events$.pipe(filter((e) => e.type === 'refresh-succeeded')));
      let held = false;
      msw.use(
        http.get(`${API}/api/orders`, async ({ request }) => {
          if (!held) {
            held = true;
            await refreshed;
          }
          return fake.handle(request);
        }),
      );

      const results = await outcomes([TestBed.inject(OrdersService).list(), TestBed.inject(InvoicesService).list()]);

      expect(results.every((r) => r.ok)).toBe(true);
      expect(fake.stats).toMatchObject({ tokenRequests: 1, apiUnauthorized: 2 });
      expect(timeline.indexOf('refresh-succeeded')).toBeLessThan(timeline.indexOf('401 /api/orders'));
      expect(timeline.filter((t) => t === 'refresh-started')).toHaveLength(1);
    });
  });

  describe('when the authorization server has revoked the session', () => {
    it('fails every waiting and later call with TokenRevokedError and calls onRevoked once', async () => {
      const { fake, onRevoked } = setup();
      fake.revokeAll();

      const results = await outcomes([
        TestBed.inject(OrdersService).list(),
        TestBed.inject(InvoicesService).list(),
        TestBed.inject(ProfileService).get(),
      ]);
      fake.resetStats();
      const later = await outcome(TestBed.inject(OrdersService).list());

      for (const result of [...results, later]) {
        expect(result.ok).toBe(false);
        expect(!result.ok && result.error).toBeInstanceOf(TokenRevokedError);
      }
      expect(onRevoked).toHaveBeenCalledOnce();
      expect(onRevoked).toHaveBeenCalledWith(expect.objectContaining({ type: 'session-revoked' }));
      expect(fake.stats).toMatchObject({ tokenRequests: 0, apiRequests: 0 });
    });
  });

  describe('when the caller unsubscribes', () => {
    it('aborts the fetch', async () => {
      setup();
      let reached!: () => void;
      const handlerReached = new Promise<void>((resolve) => (reached = resolve));
      const handlerSawAbort = new Promise<boolean>((resolveAborted) => {
        msw.use(
          http.get(`${API}/api/orders`, ({ request }) => {
            reached();
            return new Promise<Response>((resolve) => {
              request.signal.addEventListener('abort', () => {
                resolveAborted(request.signal.aborted);
                resolve(HttpResponse.error());
              });
            });
          }),
        );
      });

      const subscription = TestBed.inject(OrdersService).list().subscribe();
      await handlerReached;
      subscription.unsubscribe();

      expect(await handlerSawAbort).toBe(true);
    });

    it('lets a refresh it was waiting for finish and store its tokens', async () => {
      const { fake, session } = setup({ tokenDelay: 30 });
      fake.expireAccessTokens();
      const refreshed = firstValueFrom(session.events$.pipe(filter((e) => e.type === 'refresh-succeeded')));

      const subscription = TestBed.inject(OrdersService).list().subscribe();
      await firstValueFrom(session.events$.pipe(filter((e) => e.type === 'refresh-started')));
      subscription.unsubscribe();
      await refreshed;

      expect(session.state.generation).toBe(1);
      expect(session.state.tokens?.refreshToken).toBe(fake.issuedRefreshTokens.at(-1));
      expect(fake.stats).toMatchObject({ tokenRequests: 1, apiRequests: 1 });
    });
  });

  describe('when a request goes to an origin that is not allowed', () => {
    it('sends no token there', async () => {
      const { sent } = setup();
      msw.use(http.get('https://cdn.example.test/logo.json', () => HttpResponse.json({ ok: true })));

      await firstValueFrom(TestBed.inject(HttpClient).get('https://cdn.example.test/logo.json'));

      expect(sent).toEqual([{ url: 'https://cdn.example.test/logo.json', authorization: null }]);
    });
  });

  describe('when the API answers 403, or a 401 with another challenge', () => {
    it('does not refresh and passes the HttpErrorResponse on', async () => {
      const { fake } = setup();
      const client = TestBed.inject(HttpClient);

      const [forbidden, dpop] = await outcomes([client.get(`${API}/api/forbidden`), client.get(`${API}/api/dpop`)]);

      expect(!forbidden?.ok && forbidden?.error).toMatchObject({ status: 403 });
      expect(!dpop?.ok && dpop?.error).toMatchObject({ status: 401 });
      expect(!dpop?.ok && dpop?.error).toBeInstanceOf(HttpErrorResponse);
      expect(fake.stats.tokenRequests).toBe(0);
    });
  });

  describe('when the API fails with a transient error', () => {
    it('retries idempotent requests and not a POST', async () => {
      const { fake, events } = setup();

      const get = await outcome(TestBed.inject(HttpClient).get(`${API}/api/status/503`));
      const getCalls = fake.stats.apiRequests;
      const post = await outcome(TestBed.inject(ProfileService).rename('Ada'));

      expect(!get.ok && get.error).toMatchObject({ status: 503 });
      expect(!post.ok && post.error).toMatchObject({ status: 503 });
      expect(getCalls).toBe(3);
      expect(fake.stats.apiRequests).toBe(4);
      expect(events.filter((e) => e.type === 'request-retried').map((e) => e.type === 'request-retried' && e.reason)).toEqual([
        'transient',
        'transient',
      ]);
    });
  });
});
