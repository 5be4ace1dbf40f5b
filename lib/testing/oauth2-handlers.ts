import { FakeNetworkFault, type FakeAuthorizationServer } from './fake-authorization-server.js';

/** The resolver shape this module hands to msw: it only needs the intercepted `request`. */
export type MswResolver = (info: { request: Request }) => Promise<Response>;

/**
 * The part of msw 2's `http` namespace this module uses. Structural, so msw is never imported here:
 * handlers built by another msw copy than the one running `setupServer` would not be recognised.
 * `Handler` is inferred from the `http` you pass (msw's `HttpHandler`).
 */
export interface MswHttp<Handler> {
  all(path: string, resolver: MswResolver): Handler;
}

/** Configuration for {@link createOAuth2Handlers}. */
export interface OAuth2HandlersConfig<Handler> {
  /** msw's `http` namespace: `import { http } from 'msw'`. */
  http: MswHttp<Handler>;
  /** The model answering every request under `origin`. */
  server: FakeAuthorizationServer;
  /** Origin the fake serves, e.g. `'https://api.example.test'`; a trailing slash is ignored. */
  origin: string;
}

/**
 * Mounts a {@link FakeAuthorizationServer} on msw 2: one `http.all(origin + '/*')` handler that passes every
 * request to `server.handle`. A scripted `'network'` fault becomes msw's network error
 * (`Response.error()`, the same value as `HttpResponse.error()`), so `fetch` rejects with a `TypeError`.
 *
 * @example
 * import { http } from 'msw';
 * import { setupServer } from 'msw/node';
 *
 * const fake = createFakeAuthorizationServer();
 * const mswServer = setupServer(...createOAuth2Handlers({ http, server: fake, origin: 'https://api.example.test' }));
 *
 * @example
 * // Your own API data behind the fake's token check: either in the fake's config…
 * const fake = createFakeAuthorizationServer({ api: (request, user) => ({ name: user.subject }) });
 * // …or in your own handler, used before the fake's (msw tries handlers in order):
 * const profile = http.get('https://api.example.test/v1/profile', ({ request }) => {
 *   const user = fake.authorize(request);
 *   return user instanceof Response ? user : HttpResponse.json({ name: user.subject });
 * });
 * const mswServer = setupServer(profile, ...createOAuth2Handlers({ http, server: fake, origin: 'https://api.example.test' }));
 */
export function createOAuth2Handlers<Handler>(config: OAuth2HandlersConfig<Handler>): Handler[] {
  const { http, server } = config;
  const origin = config.origin.replace(/\/+$/, '');
  return [
    http.all(`${origin}/*`, async ({ request }) => {
      try {
        return await server.handle(request);
      } catch (error) {
        // After an abort nobody reads the answer; a network error keeps msw from logging a handler exception.
        if (error instanceof FakeNetworkFault || request.signal.aborted) return Response.error();
        throw error;
      }
    }),
  ];
}
