// lib/client/build-request.ts: a call's arguments made into the request the transport sends: the
// URL joined onto baseUrl (and the joins it keeps), params, headers, the body serialised, the
// options defaulted from the client's; a TypeError at once, nothing sent, for input it cannot send.
// Input errors shared with other files (headers, credentials in URLs): hardening.spec.ts.
import { http, HttpResponse } from 'msw';
import { lastValueFrom, of, type Observable } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { buildRequest, createPathJoins, type RequestDefaults } from '../../lib/client/build-request.js';
import { createHttpClient } from '../../lib/client/create-http-client.js';
import type { RetryOption } from '../../lib/retry/retry-backoff-config.js';
import { errorOf } from '../helpers/outcomes.js';
import { BASE, client, expectNotIn, FILES, ORIGIN, OTHER, SECRET, useMswServer } from './client-fixtures.js';

const server = useMswServer();

describe('buildRequest, through createHttpClient', () => {
  describe('when the URL is relative', () => {
    it('keeps the base URL path, with or without slashes', async () => {
      let hits = 0;
      server.use(http.get(`${BASE}/users`, () => (hits++, HttpResponse.json('ok'))));

      await expect(lastValueFrom(client().get('/users'))).resolves.toBe('ok');
      await expect(lastValueFrom(client().get('users'))).resolves.toBe('ok');
      await expect(lastValueFrom(client({ baseUrl: `${BASE}/` }).get('/users'))).resolves.toBe('ok');
      expect(hits).toBe(3);
    });

    it('joins each path onto its own client\'s base, however many paths it has seen', async () => {
      const sent: string[] = [];
      const recording = (baseUrl: string) =>
        client({
          baseUrl,
          transport: (request) => (sent.push(request.url), of({ status: 200, statusText: 'OK', headers: new Headers(), body: null, url: request.url })),
        });
      const [v1, v2, files] = [recording(BASE), recording(`${ORIGIN}/v2/`), recording(FILES)];
      const paths = Array.from({ length: 300 }, (_, i) => `/items/${i}`);

      const long = `/files/${'x'.repeat(300)}`;
      for (const path of [...paths, ...paths.slice(0, 3), long, long, 'users', '/users', 'a/./b', '../up']) {
        for (const api of [v1, v2, files]) await lastValueFrom(api.get(path));
      }

      const expected = (base: string, path: string) => new URL(path.replace(/^\/+/, ''), `${base.replace(/\/+$/, '')}/`).href;
      const want = [...paths, ...paths.slice(0, 3), long, long, 'users', '/users', 'a/./b', '../up'].flatMap((path) => [BASE, `${ORIGIN}/v2`, FILES].map((base) => expected(base, path)));
      expect(sent).toEqual(want);
      expect(sent.slice(-6)).toEqual([`${BASE}/a/b`, `${ORIGIN}/v2/a/b`, `${FILES}/a/b`, `${ORIGIN}/up`, `${ORIGIN}/up`, `${FILES}/up`]);
    });
  });

  describe('when the URL is absolute', () => {
    it('sends it as is', async () => {
      server.use(http.get(`${OTHER}/status`, () => HttpResponse.json('elsewhere')));

      await expect(lastValueFrom(client().get(`${OTHER}/status`))).resolves.toBe('elsewhere');
    });
  });

  describe('when params are given', () => {
    it('repeats array keys, skips null and undefined, and keeps the query already in the URL', async () => {
      const queries: string[] = [];
      server.use(http.get(`${BASE}/search`, ({ request }) => (queries.push(new URL(request.url).search), HttpResponse.json([]))));

      await lastValueFrom(
        client().get('/search?sort=asc', { params: { q: 'a b', tag: ['x', 'y'], skip: null, none: undefined, n: 2, flag: false } }),
      );

      expect(queries).toEqual(['?sort=asc&q=a+b&tag=x&tag=y&n=2&flag=false']);
    });

    it('accepts URLSearchParams', async () => {
      const queries: string[] = [];
      server.use(http.get(`${BASE}/search`, ({ request }) => (queries.push(new URL(request.url).search), HttpResponse.json([]))));

      await lastValueFrom(client().get('/search', { params: new URLSearchParams([['id', '1'], ['id', '2']]) }));

      expect(queries).toEqual(['?id=1&id=2']);
    });
  });

  describe('when a body is sent', () => {
    function captureBody() {
      const seen: { contentType: string | null; text: string }[] = [];
      server.use(
        http.post(`${BASE}/upload`, async ({ request }) => {
          seen.push({ contentType: request.headers.get('content-type'), text: await request.text() });
          return new HttpResponse(null, { status: 204 });
        }),
      );
      return seen;
    }

    it('sends a plain object as JSON with content-type application/json', async () => {
      const seen = captureBody();

      await lastValueFrom(client().post('/upload', { name: 'Ada', tags: ['x'] }));

      expect(seen).toEqual([{ contentType: 'application/json', text: '{"name":"Ada","tags":["x"]}' }]);
    });

    it("keeps the caller's content-type for a JSON body", async () => {
      const seen = captureBody();

      await lastValueFrom(client().post('/upload', { op: 'x' }, { headers: { 'Content-Type': 'application/merge-patch+json' } }));

      expect(seen).toEqual([{ contentType: 'application/merge-patch+json', text: '{"op":"x"}' }]);
    });

    it('sends a string, URLSearchParams and a Blob as they are', async () => {
      const seen = captureBody();

      await lastValueFrom(client().post('/upload', 'plain words'));
      await lastValueFrom(client().post('/upload', new URLSearchParams({ a: '1', b: 'x y' })));
      await lastValueFrom(client().post('/upload', new Blob(['raw bytes'], { type: 'application/octet-stream' })));

      expect(seen).toEqual([
        { contentType: 'text/plain;charset=UTF-8', text: 'plain words' },
        { contentType: 'application/x-www-form-urlencoded;charset=UTF-8', text: 'a=1&b=x+y' },
        { contentType: 'application/octet-stream', text: 'raw bytes' },
      ]);
    });

    it('sends FormData as multipart', async () => {
      const fields: [string, string, string | null][] = [];
      server.use(
        http.post(`${BASE}/upload`, async ({ request }) => {
          const form = await request.formData();
          fields.push(['name', String(form.get('name')), request.headers.get('content-type')]);
          return new HttpResponse(null, { status: 204 });
        }),
      );
      const form = new FormData();
      form.set('name', 'Ada');

      await lastValueFrom(client().post('/upload', form));

      expect(fields).toEqual([['name', 'Ada', expect.stringMatching(/^multipart\/form-data; boundary=/)]]);
    });

    it('errors with a TypeError for a ReadableStream, without throwing on the call or sending', async () => {
      let hits = 0;
      server.use(http.post(`${BASE}/upload`, () => (hits++, HttpResponse.json({}))));
      const stream = new ReadableStream({ start: (c) => c.close() });

      const upload$ = client().post('/upload', stream);
      const error = await errorOf(upload$);

      expect(error).toBeInstanceOf(TypeError);
      expect(hits).toBe(0);
    });
  });


  describe('when the method is invalid', () => {
    it('errors with a TypeError instead of throwing on the call', async () => {
      const request$ = client().request('GE T', '/me');

      const error = await errorOf(request$);

      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toContain('GE T');
    });
  });

  describe('#6 input errors are typed and never retried (issue 8)', () => {
    const cases: [string, (api: ReturnType<typeof createHttpClient>) => Observable<unknown>, RegExp][] = [
      ['a CRLF in a header value', (api) => api.get('/x', { headers: { 'x-note': `a\r\nx-evil: ${SECRET}` } }), /header "x-note"/],
      ['an invalid header name', (api) => api.get('/x', { headers: { 'bad name': 'v' } }), /Invalid header name/],
      ['a body on GET', (api) => api.request('GET', '/x', { body: { q: 1 } }), /GET request cannot have a body/],
      ['a body on HEAD', (api) => api.request('HEAD', '/x', { body: 'x' }), /HEAD request cannot have a body/],
      ['TRACE', (api) => api.request('TRACE', '/x'), /Unsupported HTTP method: TRACE/],
      ['CONNECT', (api) => api.request('connect', '/x'), /Unsupported HTTP method: CONNECT/],
      ['TRACK', (api) => api.request('TRACK', '/x'), /Unsupported HTTP method: TRACK/],
    ];
    it.each(cases)('%s: a TypeError at once, nothing sent', async (_name, call, message) => {
      const fetch = vi.fn<typeof globalThis.fetch>();
      const api = createHttpClient({ baseUrl: BASE, fetch, retry: 3 });

      const error = await errorOf(call(api));

      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toMatch(message);
      expectNotIn(error, SECRET);
      expect(fetch).not.toHaveBeenCalled();
    });
  });

  describe('when `retry` is no RetryOption', () => {
    it('fails a request whose own `retry` is one, even a POST that would not be retried, before sending it', async () => {
      const fetch = vi.fn<typeof globalThis.fetch>();
      const api = createHttpClient({ baseUrl: BASE, fetch });
      const post = await errorOf(api.post('/orders', {}, { retry: 'three' as unknown as RetryOption }));
      const get = await errorOf(api.get('/orders', { retry: { maxRetries: -1 } }));
      expect(post).toEqual(new TypeError('The request option `retry` must be false, a number of retries or a RetryBackoffConfig object; got string'));
      expect(get).toBeInstanceOf(RangeError);
      expect(fetch).not.toHaveBeenCalled();
    });
  });
});

describe('buildRequest', () => {
  const defaults = (overrides: Partial<RequestDefaults> = {}): RequestDefaults => ({
    baseUrl: BASE,
    joins: createPathJoins(BASE),
    headers: {},
    timeout: 30_000,
    attemptTimeout: false,
    retry: 2,
    ...overrides,
  });

  it('lower-cases header names, the call\'s over the client\'s', () => {
    const request = buildRequest(defaults({ headers: { 'X-App': 'web', Accept: 'application/json' } }), 'GET', '/me', undefined, { headers: { 'x-APP': 'cli' } });
    expect(request.headers).toEqual({ 'x-app': 'cli', accept: 'application/json' });
  });

  it('takes timeout, attemptTimeout and retry from the client unless the call gives its own; sends a token and is not idempotent unless told', () => {
    expect(buildRequest(defaults(), 'GET', '/me', undefined, {})).toMatchObject({ method: 'GET', url: `${BASE}/me`, body: null, responseType: 'json', timeout: 30_000, attemptTimeout: false, retry: 2, auth: true, idempotent: false });
    const own = { timeout: false, attemptTimeout: 500, retry: { maxRetries: 1 }, auth: false, idempotent: true, responseType: 'text' } as const;
    expect(buildRequest(defaults(), 'POST', '/me', 'x', own)).toMatchObject({ method: 'POST', body: 'x', ...own });
  });

  it('upper-cases a method other than the common ones, and sends bytes as they are', () => {
    const bytes = new Uint8Array([1, 2]);
    const request = buildRequest(defaults(), 'propfind', '/dav', bytes, {});
    expect(request.method).toBe('PROPFIND');
    expect(request.body).toBe(bytes);
    expect(request.headers).toEqual({});
  });

  it.each([
    ['a Map', new Map([['a', 1]]), /A Map or Set body would be sent as \{\}/],
    ['a Set', new Set([1]), /A Map or Set body would be sent as \{\}/],
    ['a function', () => 1, /Cannot send a function as a request body/],
    ['a symbol', Symbol('s'), /Cannot send a symbol as a request body/],
    ['a bigint', 1n, /Cannot send a bigint as a request body/],
  ])('refuses %s as a body with a TypeError', (_name, body, message) => {
    expect(() => buildRequest(defaults(), 'POST', '/x', body, {})).toThrow(message);
    expect(() => buildRequest(defaults(), 'POST', '/x', body, {})).toThrow(TypeError);
  });

  it('refuses a responseType it cannot read, and a URL that is not a string', () => {
    expect(() => buildRequest(defaults(), 'GET', '/x', undefined, { responseType: 'xml' as 'json' })).toThrow(new TypeError('Invalid responseType: xml'));
    expect(() => buildRequest(defaults(), 'GET', 42 as unknown as string, undefined, {})).toThrow(new TypeError('The URL must be a string, got number'));
  });

  it('keeps no joins for a base URL with a query or fragment: each path is parsed', () => {
    expect(createPathJoins(`${BASE}?tenant=1`).prefix).toBeNull();
    expect(createPathJoins(`${BASE}#top`).prefix).toBeNull();
    expect(createPathJoins(`${BASE}//`).prefix).toBe(`${BASE}/`);
    const joins = createPathJoins(`${BASE}?tenant=1`);
    buildRequest(defaults({ baseUrl: `${BASE}?tenant=1`, joins }), 'GET', '/users', undefined, {});
    expect(joins.joined.size).toBe(0);
  });

  it('joins params onto the URL by parsing it, and keeps no join for it', () => {
    const joins = createPathJoins(BASE);
    const request = buildRequest(defaults({ joins }), 'GET', '/search', undefined, { params: { q: 'x' } });
    expect(request.url).toBe(`${BASE}/search?q=x`);
    expect(joins.joined.size).toBe(0);
  });
});
