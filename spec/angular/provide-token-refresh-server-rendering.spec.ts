// @vitest-environment happy-dom
import './setup.js';
import { HttpClient, provideHttpClient, withFetch, withInterceptors } from '@angular/common/http';
import { createEnvironmentInjector, EnvironmentInjector, provideZonelessChangeDetection, type EnvironmentProviders, type Provider } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { firstValueFrom, throwError } from 'rxjs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { provideTokenRefresh, TOKEN_SESSION, tokenRefreshInterceptor } from '../../lib/angular/index.js';
import { shareAcrossTabs } from '../../lib/tabs/index.js';

// Server rendering: Node has no Web Locks, so shareAcrossTabs() falls back. The app config is
// evaluated once, at module load, and every server request builds its own environment injector
// from it. A real node:http API on 127.0.0.1 records the Authorization header each request carried.
describe('provideTokenRefresh with shareAcrossTabs() in server rendering', () => {
  let api: Server;
  let origin: string;
  const seen: { readonly who: string; readonly authorization: string | null }[] = [];
  let appProviders: (Provider | EnvironmentProviders)[];
  const requests: EnvironmentInjector[] = [];

  beforeAll(async () => {
    api = createServer((req, res) => {
      // happy-dom's fetch applies the browser's CORS rules; a server-side fetch would not.
      res.setHeader('access-control-allow-origin', '*');
      res.setHeader('access-control-allow-headers', 'authorization');
      if (req.method === 'OPTIONS') return void res.writeHead(204).end();
      seen.push({ who: new URL(req.url ?? '/', 'http://x').searchParams.get('who') ?? '?', authorization: req.headers.authorization ?? null });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => api.close(() => resolve())));

  beforeEach(() => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    TestBed.configureTestingModule({ providers: [provideZonelessChangeDetection()] });
    seen.length = 0;
    // app.config.ts, evaluated once for every visitor.
    appProviders = [
      provideHttpClient(withFetch(), withInterceptors([tokenRefreshInterceptor])),
      provideTokenRefresh({
        allowedOrigins: [origin],
        sessionConfig: { refresh: () => throwError(() => new Error('no refresh in this spec')), share: shareAcrossTabs({ name: 'shop' }) },
        retry: false,
      }),
    ];
  });
  afterEach(() => {
    for (const injector of requests.splice(0)) injector.destroy();
    TestBed.resetTestingModule();
  });

  /** One server request: its own environment injector from the one app config. */
  function serverRequest(): EnvironmentInjector {
    const injector = createEnvironmentInjector(appProviders, TestBed.inject(EnvironmentInjector));
    requests.push(injector);
    return injector;
  }

  const callApi = (injector: EnvironmentInjector, who: string) => firstValueFrom(injector.get(HttpClient).get(`${origin}/me`, { params: { who } }));

  describe("when alice signs in on one request's session", () => {
    it('sends no token with an anonymous request running beside it, nor with one that starts later', async () => {
      const alicesRequest = serverRequest();
      const visitorsRequest = serverRequest();
      alicesRequest.get(TOKEN_SESSION).setTokens({ accessToken: 'alice-access', refreshToken: 'alice-refresh', expiresAt: Date.now() + 3_600_000 });
      await new Promise((resolve) => setTimeout(resolve, 20)); // time for any notice to travel
      const laterRequest = serverRequest();

      await callApi(alicesRequest, 'alice');
      await callApi(visitorsRequest, 'visitor');
      await callApi(laterRequest, 'later');

      expect(seen).toEqual([
        { who: 'alice', authorization: 'Bearer alice-access' },
        { who: 'visitor', authorization: null },
        { who: 'later', authorization: null },
      ]);
      expect(visitorsRequest.get(TOKEN_SESSION).state.tokens).toBeNull();
    });
  });

  describe("when bob signs in on another request's session", () => {
    it("sends each request with its own user's token", async () => {
      const alicesRequest = serverRequest();
      const bobsRequest = serverRequest();
      alicesRequest.get(TOKEN_SESSION).setTokens({ accessToken: 'alice-access', expiresAt: Date.now() + 3_600_000 });
      bobsRequest.get(TOKEN_SESSION).setTokens({ accessToken: 'bob-access', expiresAt: Date.now() + 3_600_000 });
      await new Promise((resolve) => setTimeout(resolve, 20));

      await callApi(alicesRequest, 'alice');
      await callApi(bobsRequest, 'bob');

      expect(seen).toEqual([
        { who: 'alice', authorization: 'Bearer alice-access' },
        { who: 'bob', authorization: 'Bearer bob-access' },
      ]);
    });
  });
});
