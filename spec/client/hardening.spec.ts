import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { lastValueFrom, NEVER, of, type Observable } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHttpClient, type HttpClientConfig } from '../../lib/client/create-http-client.js';
import { HttpError } from '../../lib/errors/request-error.js';
import type { CurrentToken, TokenAccess } from '../../lib/session/token-access.js';
import type { RequestRetriedEvent } from '../../lib/session/session-event.js';
import { createTestTransport } from '../../lib/testing/test-transport.js';
import { errorOf } from '../helpers/outcomes.js';
import { BASE, expectNotIn, SECRET } from './client-fixtures.js';


/** A TokenAccess that hands out fixed tokens and counts refreshes: only the request path is under test. */
function access(first: string, next = 'fresh-token'): TokenAccess & { refreshes: number; events: RequestRetriedEvent[] } {
  const events: RequestRetriedEvent[] = [];
  const self = {
    refreshes: 0,
    events,
    token: (rejected?: number): Observable<CurrentToken> => (rejected === undefined ? of({ accessToken: first, generation: 1 }) : (self.refreshes++, of({ accessToken: next, generation: 2 }))),
    report: (event: RequestRetriedEvent) => void events.push(event),
    revoked$: NEVER,
  };
  return self;
}

describe('createHttpClient hardening (issue 8)', () => {
  describe('#5 a token a header cannot carry', () => {
    it('fails with a TypeError that does not quote it, without calling fetch or retrying', async () => {
      const fetch = vi.fn<typeof globalThis.fetch>();
      const api = createHttpClient({ baseUrl: BASE, session: access(`${SECRET}\u0007`), fetch });

      const error = await errorOf(api.get('/me'));

      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toBe('Invalid Authorization header: the access token contains characters not allowed in a header');
      expectNotIn(error, SECRET);
      expect(fetch).not.toHaveBeenCalled();
    });

    it('refuses credentials in baseUrl at creation, without quoting them', () => {
      const create = () => createHttpClient({ baseUrl: `https://ada:${SECRET}@api.example.test/v1` });
      expect(create).toThrow(TypeError);
      expect(create).toThrow(/baseUrl must not contain credentials/);
      try {
        create();
      } catch (error) {
        expectNotIn(error, SECRET);
      }
    });

    it('refuses credentials in a request URL without quoting them anywhere in the cause chain', async () => {
      const fetch = vi.fn<typeof globalThis.fetch>();
      const error = await errorOf(createHttpClient({ baseUrl: BASE, fetch }).get(`https://ada:${SECRET}@api.example.test/v1/me`));
      expect(error).toBeInstanceOf(TypeError);
      expectNotIn(error, SECRET);
      expect(fetch).not.toHaveBeenCalled();
    });
  });

  describe('#6 input errors are typed and never retried', () => {
    it('a bad header added by an interceptor is refused by the transport, not sent or retried', async () => {
      const fetch = vi.fn<typeof globalThis.fetch>();
      const api = createHttpClient({ baseUrl: BASE, fetch, retry: 3, interceptors: [(r, next) => next({ ...r, headers: { ...r.headers, 'x-t': `${SECRET}\n` } })] });
      const error = await errorOf(api.get('/x'));
      expect(error).toBeInstanceOf(TypeError);
      expectNotIn(error, SECRET);
      expect(fetch).not.toHaveBeenCalled();
    });
  });

  describe('#8 a 401 from an origin that may not receive the token', () => {
    it('never refreshes, e.g. after a redirect elsewhere (the final response URL counts)', async () => {
      const test = createTestTransport();
      test.when('/v1/me', () => [{ status: 401, url: 'https://elsewhere.example.test/login' }]);
      const session = access('a1');
      const api = createHttpClient({ baseUrl: BASE, transport: test.transport, session, retry: false });

      const error = await errorOf(api.get('/me'));

      expect(error).toBeInstanceOf(HttpError);
      expect(error).toMatchObject({ status: 401, url: `${BASE}/me`, responseUrl: 'https://elsewhere.example.test/login' });
      expect(session.refreshes).toBe(0);
      expect(test.requests).toHaveLength(1);
    });

    it('still refreshes for a 401 from an allowed origin after a redirect', async () => {
      const test = createTestTransport();
      test.when('/v1/me', (request) => [request.headers.authorization === 'Bearer a1' ? { status: 401, url: 'https://files.example.test/me' } : { body: 'ok' }]);
      const session = access('a1');
      const api = createHttpClient({ baseUrl: BASE, transport: test.transport, session, retry: false, allowedOrigins: ['https://files.example.test'] });

      await expect(lastValueFrom(api.get('/me'))).resolves.toBe('ok');
      expect(session.refreshes).toBe(1);
    });

    describe('over fetch, with a real redirect (msw)', () => {
      const server = setupServer(
        http.get(`${BASE}/moved`, () => HttpResponse.redirect('https://elsewhere.example.test/401', 302)),
        http.get('https://elsewhere.example.test/401', () => new HttpResponse(null, { status: 401 })),
      );
      beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
      afterAll(() => server.close());

      it('does not refresh', async () => {
        const session = access('a1');
        const error = await errorOf(createHttpClient({ baseUrl: BASE, session, retry: false }).get('/moved'));
        expect(error).toMatchObject({ status: 401, responseUrl: 'https://elsewhere.example.test/401' });
        expect(session.refreshes).toBe(0);
      });
    });
  });

  describe('#10 a relative baseUrl', () => {
    afterEach(() => vi.unstubAllGlobals());

    it('resolves against document.baseURI in a browser', async () => {
      vi.stubGlobal('document', { baseURI: 'https://app.example.test/shop/' });
      const test = createTestTransport();
      test.when(() => true, (request) => [{ body: request.url }]);
      const api = createHttpClient({ baseUrl: '/api', transport: test.transport, session: access('a1') });

      await expect(lastValueFrom(api.get('/orders'))).resolves.toBe('https://app.example.test/api/orders');
      expect(test.requests[0]?.request.headers.authorization).toBe('Bearer a1');
    });

    it('is a clear TypeError in Node', () => {
      expect(() => createHttpClient({ baseUrl: '/api' })).toThrow(/baseUrl must be absolute outside a browser/);
    });
  });

  describe('#15 a missing config', () => {
    it.each([
      ['no argument', undefined],
      ['null', null],
      ['no baseUrl', {}],
      ['an empty baseUrl', { baseUrl: '' }],
      ['a number', { baseUrl: 42 }],
    ])('%s: a TypeError that says what to pass', (_name, config) => {
      const create = () => createHttpClient(config as unknown as HttpClientConfig);
      expect(create).toThrow(TypeError);
      expect(create).toThrow(/createHttpClient needs a (config with at least a )?baseUrl/);
    });
  });
});
