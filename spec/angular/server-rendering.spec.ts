// Angular's real server renderer (@angular/platform-server's renderApplication, the engine under
// @angular/ssr) renders a route whose component reads a real node:http API on 127.0.0.1 through
// tokenRefreshInterceptor. The server DOM (domino) throws from `document.baseURI`: the interceptor
// must not touch it. Each render is one incoming request with its own session (the app's choice).
import '@angular/compiler';
import { HttpClient, provideHttpClient, withFetch, withInterceptors } from '@angular/common/http';
import { Component, inject, InjectionToken, provideZonelessChangeDetection, signal, type ApplicationConfig } from '@angular/core';
import { bootstrapApplication, provideClientHydration, type BootstrapContext } from '@angular/platform-browser';
import { provideServerRendering, renderApplication } from '@angular/platform-server';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { throwError } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provideTokenRefresh, tokenRefreshInterceptor } from '../../lib/angular/index.js';
import type { TokenSet } from '../../lib/index.js';

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

/** The serialized transfer state Angular writes into the page (`<script id="ng-state">`). */
function transferState(html: string): string {
  return /<script id="ng-state" type="application\/json">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
}
