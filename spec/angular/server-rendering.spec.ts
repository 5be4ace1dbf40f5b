// Angular's real server renderer (@angular/platform-server's renderApplication, the engine under
// @angular/ssr) renders a route whose component reads a real node:http API on 127.0.0.1 through
// tokenRefreshInterceptor. The server DOM (domino) throws from `document.baseURI`: the interceptor
// must not touch it. Each render is one incoming request with its own session (the app's choice).
import '@angular/compiler';
import { HttpClient, provideHttpClient, withFetch, withInterceptors } from '@angular/common/http';
import * as angularCore from '@angular/core';
import {
  APP_INITIALIZER,
  Component,
  EnvironmentInjector,
  inject,
  InjectionToken,
  mergeApplicationConfig,
  provideZonelessChangeDetection,
  runInInjectionContext,
  signal,
  type ApplicationConfig,
  type EnvironmentProviders,
} from '@angular/core';
import { bootstrapApplication, provideClientHydration, type BootstrapContext } from '@angular/platform-browser';
import { provideServerRendering, renderApplication } from '@angular/platform-server';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { throwError } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provideTokenRefresh, TOKEN_SESSION, tokenRefreshInterceptor } from '../../lib/angular/index.js';
import type { TokenSession, TokenSet } from '../../lib/index.js';

const API = new InjectionToken<string>('the API origin');

@Component({ selector: 'app-root', standalone: true, template: '<p id="orders">{{ orders() }}</p>' })
class OrdersPage {
  readonly orders = signal('loading');
  constructor() {
    inject(HttpClient)
      .get<{ orders: string[] }>(`${inject(API)}/orders`)
      .subscribe({ next: (body) => this.orders.set(body.orders.join(', ')), error: (error: unknown) => this.orders.set(`failed: ${String((error as Error).name)}`) });
  }
}

const document = '<!doctype html><html><head></head><body><app-root></app-root></body></html>';

describe('server rendering with tokenRefreshInterceptor (renderApplication)', () => {
  let api: Server;
  let origin: string;
  const seen: (string | null)[] = [];

  beforeAll(async () => {
    api = createServer((req, res) => {
      seen.push(req.headers.authorization ?? null);
      const orders = req.headers.authorization === 'Bearer alice-access' ? ['alice-teapot'] : ['public-teapot'];
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ orders }));
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => api.close(() => resolve())));

  /** Renders the page for one incoming request; `tokens` is that request's user, if any. */
  async function render(tokens: TokenSet | null, { hydration = false } = {}): Promise<string> {
    const config: ApplicationConfig = {
      providers: [
        ...(hydration ? [provideClientHydration()] : []), // with it, Angular's HTTP transfer cache
        provideZonelessChangeDetection(),
        provideServerRendering(),
        provideHttpClient(withFetch(), withInterceptors([tokenRefreshInterceptor])),
        provideTokenRefresh({
          allowedOrigins: [origin],
          sessionConfig: { tokens, refresh: () => throwError(() => new Error('no refresh during a render')) },
          retry: false,
        }),
        { provide: API, useValue: origin },
      ],
    };
    const bootstrap = (context?: BootstrapContext) => bootstrapApplication(OrdersPage, config, context);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('the render did not complete in 5 s')), 5_000)));
    try {
      return await Promise.race([renderApplication(bootstrap, { document, url: 'http://shop.example/orders', allowedHosts: ['shop.example'] }), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  it("completes, with the signed-in user's data fetched with their token", async () => {
    seen.length = 0;
    const html = await render({ accessToken: 'alice-access', expiresAt: Date.now() + 3_600_000 });
    expect(html).toContain('<p id="orders">alice-teapot</p>');
    expect(seen).toEqual(['Bearer alice-access']);
  });

  it('completes for an anonymous visitor, whose request carries no token', async () => {
    seen.length = 0;
    const html = await render(null);
    expect(html).toContain('<p id="orders">public-teapot</p>');
    expect(seen).toEqual([null]);
  });

  describe("with client hydration (Angular's HTTP transfer cache on)", () => {
    it("never puts a response fetched with a user's token into the page's transfer state", async () => {
      const html = await render({ accessToken: 'alice-access', expiresAt: Date.now() + 3_600_000 }, { hydration: true });
      expect(html).toContain('<p id="orders">alice-teapot</p>');
      expect(transferState(html)).not.toContain('alice-teapot'); // the browser would replay it to whoever loads this page
    });

    it('caches an anonymous response as usual', async () => {
      const html = await render(null, { hydration: true });
      expect(transferState(html)).toContain('public-teapot');
    });
  });
});

// The example of docs/angular.md, "Known limitations → Server-side rendering": the app's shared
// config, and the server's, which gives each request's session the user's token from its cookie.

// REQUEST and provideAppInitializer are Angular 19+ (CI runs these specs on 17 too): read through the
// namespace, with stand-ins on older majors, where the app's server.ts would provide its own token.
const REQUEST: InjectionToken<Request | null> = angularCore.REQUEST ?? new InjectionToken<Request | null>('REQUEST');
const provideAppInitializer: typeof angularCore.provideAppInitializer =
  angularCore.provideAppInitializer ??
  ((initializer) => {
    const inContext = () => {
      const injector = inject(EnvironmentInjector);
      return () => runInInjectionContext(injector, initializer);
    };
    const provider = { provide: APP_INITIALIZER, multi: true, useFactory: inContext };
    return provider as unknown as EnvironmentProviders;
  });

/** The API the example's page reads; the user is the one whose token comes with the request. */
const seenByOrdersApi: (string | null)[] = [];
const ordersApi = createServer((req, res) => {
  seenByOrdersApi.push(req.headers.authorization ?? null);
  const user = /^Bearer (\w+)-access$/.exec(req.headers.authorization ?? '')?.[1] ?? 'public';
  setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ orders: [`${user}-teapot`] })), 20);
});
await new Promise<void>((resolve) => ordersApi.listen(0, '127.0.0.1', resolve));
const ordersOrigin = `http://127.0.0.1:${(ordersApi.address() as AddressInfo).port}`;

/* app.config.ts: shared by the browser and the server; no `refreshAhead` timer. */

export const appConfig: ApplicationConfig = {
  providers: [
    provideZonelessChangeDetection(),
    provideHttpClient(withFetch(), withInterceptors([tokenRefreshInterceptor])),
    provideTokenRefresh({
      allowedOrigins: [ordersOrigin],
      sessionConfig: { refresh: () => throwError(() => new Error('a refresh in this spec')) },
    }),
    { provide: API, useValue: ordersOrigin },
  ],
};

/* app.config.server.ts */

/** The access token the browser sent in its cookie, or null: an anonymous render. */
function tokensFromCookie(request: Request | null): TokenSet | null {
  const cookie = request?.headers.get('cookie') ?? '';
  const accessToken = /(?:^|;\s*)access_token=([^;]+)/.exec(cookie)?.[1];
  // No refresh token: a server render never refreshes (the rotated token could not reach the browser).
  return accessToken ? { accessToken: decodeURIComponent(accessToken) } : null;
}

export const serverConfig: ApplicationConfig = mergeApplicationConfig(appConfig, {
  providers: [
    provideServerRendering(),
    // Each incoming request renders its own application, so it gets its own session, disposed after the response.
    provideAppInitializer(() => {
      const tokens = tokensFromCookie(inject(REQUEST, { optional: true }));
      if (tokens) inject(TOKEN_SESSION).setTokens(tokens);
    }),
  ],
});

describe("server rendering with the request's cookie (the example of docs/angular.md)", () => {
  afterAll(() => new Promise<void>((resolve) => ordersApi.close(() => resolve())));

  const sessions: TokenSession[] = [];

  /** Renders /orders for one incoming request, as the @angular/ssr engine does: REQUEST provided. */
  async function renderFor(request: Request): Promise<string> {
    const config = mergeApplicationConfig(serverConfig, {
      providers: [provideAppInitializer(() => void sessions.push(inject(TOKEN_SESSION)))],
    });
    const bootstrap = (context?: BootstrapContext) => bootstrapApplication(OrdersPage, config, context);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('the render did not complete in 5 s')), 5_000)));
    try {
      const rendering = renderApplication(bootstrap, {
        document,
        url: request.url,
        allowedHosts: ['shop.example'],
        platformProviders: [{ provide: REQUEST, useValue: request }],
      });
      return await Promise.race([rendering, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  const visit = (cookie?: string) => new Request('http://shop.example/orders', { headers: cookie ? { cookie } : {} });

  it("renders each user's page with the token from their own request's cookie, even when renders overlap", async () => {
    seenByOrdersApi.length = 0;
    const [alice, bob] = await Promise.all([renderFor(visit('theme=dark; access_token=alice-access')), renderFor(visit('access_token=bob-access'))]);

    expect(alice).toContain('<p id="orders">alice-teapot</p>');
    expect(bob).toContain('<p id="orders">bob-teapot</p>');
    expect([...seenByOrdersApi].sort()).toEqual(['Bearer alice-access', 'Bearer bob-access']);
  });

  it('renders a visitor without the cookie anonymously: the API gets no token', async () => {
    seenByOrdersApi.length = 0;
    const html = await renderFor(visit());
    expect(html).toContain('<p id="orders">public-teapot</p>');
    expect(seenByOrdersApi).toEqual([null]);
  });

  it('keeps nothing after the response: each render had its own session, disposed with it', async () => {
    sessions.length = 0;
    await renderFor(visit('access_token=alice-access'));
    await renderFor(visit('access_token=bob-access'));

    expect(sessions).toHaveLength(2);
    expect(sessions[0]).not.toBe(sessions[1]);
    for (const session of sessions) {
      let completed = false;
      session.tokens$.subscribe({ complete: () => (completed = true) });
      expect(completed).toBe(true); // disposed: its streams are complete and it holds no timer
    }
  });
});

/** The serialized transfer state Angular writes into the page (`<script id="ng-state">`). */
function transferState(html: string): string {
  return /<script id="ng-state" type="application\/json">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
}
