import { inspect } from 'node:util';
import { http, HttpResponse } from 'msw';
import { lastValueFrom, map, of } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { createHttpClient, type HttpClientConfig } from '../../lib/client/create-http-client.js';
import type { RequestInterceptor } from '../../lib/client/client-config.js';
import type { ApiRequest, ApiResponse as ClientResponse } from '../../lib/transport/api-request.js';
import { HttpError, NetworkError, RequestTimeoutError } from '../../lib/errors/request-error.js';
import { createTokenSession } from '../../lib/session/create-token-session.js';
import type { SessionEvent } from '../../lib/session/session-event.js';
import { errorOf } from '../helpers/outcomes.js';
import { BASE, client, FILES, ORIGIN, OTHER, useMswServer } from './client-fixtures.js';

const server = useMswServer();

function session(tokens: { accessToken: string; refreshToken: string } | null = { accessToken: 'a1', refreshToken: 'r1' }) {
  const refresh = vi.fn((_refreshToken: string) => of({ accessToken: 'a2', refreshToken: 'r2' }));
  return { session: createTokenSession({ tokens, refresh }), refresh };
}


function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

const tick = (ms = 10) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every way an error could end up in a log line. */
function expectNoSecrets(error: unknown, secrets: readonly string[] = ['a1', 'a2', 'r1', 'r2']): void {
  const renderings = [
    JSON.stringify(error),
    String(error),
    error instanceof Error ? error.message : '',
    inspect(error, { depth: 6 }),
  ];
  // The stack's file paths name the checkout's folder, which may hold "r1" or "a2" by chance.
  for (const text of renderings.map((t) => t.replaceAll(process.cwd(), '<checkout>'))) {
    for (const secret of secrets) expect(text).not.toMatch(new RegExp(`\\b${secret}\\b`));
  }
}

describe('createHttpClient', () => {
  describe('when a request observable is created', () => {
    it('sends nothing before subscribe and sends again on each subscription', async () => {
      let hits = 0;
      server.use(http.get(`${BASE}/users`, () => (hits++, HttpResponse.json([{ id: 1 }]))));
      const users$ = client().get('/users');

      await tick();
      expect(hits).toBe(0);

      await expect(lastValueFrom(users$)).resolves.toEqual([{ id: 1 }]);
      await expect(lastValueFrom(users$)).resolves.toEqual([{ id: 1 }]);
      expect(hits).toBe(2);
    });
  });

  describe('when the subscriber unsubscribes before the response', () => {
    it('aborts the fetch', async () => {
      const started = deferred();
      const aborted = deferred<boolean>();
      server.use(
        http.get(`${BASE}/slow`, async ({ request }) => {
          started.resolve();
          await untilAborted(request.signal);
          aborted.resolve(request.signal.aborted);
          return HttpResponse.json({});
        }),
      );
      const next = vi.fn();
      const error = vi.fn();
      const subscription = client().get('/slow').subscribe({ next, error });
      await started.promise;

      subscription.unsubscribe();

      await expect(aborted.promise).resolves.toBe(true);
      await tick();
      expect(next).not.toHaveBeenCalled();
      expect(error).not.toHaveBeenCalled();
    });
  });

  describe('when each verb is called', () => {
    it('sends the method, the URL and the body', async () => {
      const seen: string[] = [];
      const echo = async ({ request }: { request: Request }) => {
        const body = request.method === 'GET' || request.method === 'HEAD' ? '' : await request.text();
        seen.push(`${request.method} ${new URL(request.url).pathname} ${body}`);
        return request.method === 'HEAD' ? new HttpResponse(null, { status: 200 }) : HttpResponse.json({ method: request.method });
      };
      server.use(http.all(`${BASE}/items/1`, echo));
      const api = client();

      await expect(lastValueFrom(api.get('/items/1'))).resolves.toEqual({ method: 'GET' });
      await expect(lastValueFrom(api.post('/items/1', { a: 1 }))).resolves.toEqual({ method: 'POST' });
      await expect(lastValueFrom(api.put('/items/1', { a: 2 }))).resolves.toEqual({ method: 'PUT' });
      await expect(lastValueFrom(api.patch('/items/1', { a: 3 }))).resolves.toEqual({ method: 'PATCH' });
      await expect(lastValueFrom(api.delete('/items/1'))).resolves.toEqual({ method: 'DELETE' });
      await expect(lastValueFrom(api.head('/items/1'))).resolves.toBeNull();
      await expect(lastValueFrom(api.request('options', '/items/1'))).resolves.toEqual({ method: 'OPTIONS' });
      await expect(lastValueFrom(api.request('POST', '/items/1', { body: { a: 4 } }))).resolves.toEqual({ method: 'POST' });

      expect(seen).toEqual([
        'GET /v1/items/1 ',
        'POST /v1/items/1 {"a":1}',
        'PUT /v1/items/1 {"a":2}',
        'PATCH /v1/items/1 {"a":3}',
        'DELETE /v1/items/1 ',
        'HEAD /v1/items/1 ',
        'OPTIONS /v1/items/1 ',
        'POST /v1/items/1 {"a":4}',
      ]);
    });
  });

  describe('when a responseType is given', () => {
    it('reads json, text, blob and arrayBuffer', async () => {
      server.use(http.get(`${BASE}/doc`, () => HttpResponse.text('{"a":1}', { headers: { 'content-type': 'application/json' } })));
      const api = client();

      await expect(lastValueFrom(api.get('/doc'))).resolves.toEqual({ a: 1 });
      await expect(lastValueFrom(api.get('/doc', { responseType: 'text' }))).resolves.toBe('{"a":1}');
      const blob = await lastValueFrom(api.get<Blob>('/doc', { responseType: 'blob' }));
      expect(blob).toBeInstanceOf(Blob);
      await expect(blob.text()).resolves.toBe('{"a":1}');
      const buffer = await lastValueFrom(api.get<ArrayBuffer>('/doc', { responseType: 'arrayBuffer' }));
      expect(buffer).toBeInstanceOf(ArrayBuffer);
      expect(new TextDecoder().decode(buffer)).toBe('{"a":1}');
    });
  });

  describe('when the response has no body', () => {
    it('emits null for an empty 200 and for a 204', async () => {
      server.use(
        http.get(`${BASE}/empty`, () => new HttpResponse('', { status: 200, headers: { 'content-type': 'application/json' } })),
        http.delete(`${BASE}/empty`, () => new HttpResponse(null, { status: 204 })),
      );

      await expect(lastValueFrom(client().get('/empty'))).resolves.toBeNull();
      await expect(lastValueFrom(client().delete('/empty'))).resolves.toBeNull();
    });
  });

  describe('when a 200 body is not valid JSON', () => {
    it('errors with an HttpError of status 200 carrying the text', async () => {
      server.use(http.get(`${BASE}/broken`, () => HttpResponse.text('<html>oops</html>', { headers: { 'content-type': 'application/json' } })));

      const error = await errorOf(client().get('/broken'));

      expect(error).toBeInstanceOf(HttpError);
      expect(error).toMatchObject({ status: 200, body: '<html>oops</html>', method: 'GET', url: `${BASE}/broken` });
      expect((error as HttpError).message).toContain(`GET ${BASE}/broken`);
    });
  });

  describe("when observe is 'response'", () => {
    it('emits status, headers and body', async () => {
      server.use(http.post(`${BASE}/users`, () => HttpResponse.json({ id: 7 }, { status: 201, headers: { 'x-request-id': 'req-1' } })));

      const response = await lastValueFrom(client().post('/users', { name: 'Ada' }, { observe: 'response' }));

      expect(response.status).toBe(201);
      expect(response.headers.get('x-request-id')).toBe('req-1');
      expect(response.body).toEqual({ id: 7 });
      expect(response.url).toBe(`${BASE}/users`);
    });
  });

  describe('when the status fails', () => {
    it('errors with an HttpError carrying method, url, status, headers and the parsed JSON body', async () => {
      server.use(http.get(`${BASE}/users/7`, () => HttpResponse.json({ error: 'not_found' }, { status: 404, headers: { 'x-request-id': 'req-2' } })));

      const error = await errorOf(client().get('/users/7'));

      expect(error).toBeInstanceOf(HttpError);
      const httpError = error as HttpError;
      expect(httpError).toMatchObject({ code: 'HTTP_STATUS', method: 'GET', url: `${BASE}/users/7`, status: 404, body: { error: 'not_found' } });
      expect(httpError.headers.get('x-request-id')).toBe('req-2');
      expect(httpError.message).toContain(`GET ${BASE}/users/7`);
      expect(httpError.message).toContain('404');
    });

    it('keeps a text body as text', async () => {
      server.use(http.delete(`${BASE}/users/7`, () => HttpResponse.text('database on fire', { status: 500 })));

      const error = await errorOf(client().delete('/users/7'));

      expect(error).toMatchObject({ status: 500, method: 'DELETE', body: 'database on fire' });
    });
  });

  describe('when the network fails', () => {
    function failing(method: 'get' | 'post' = 'get') {
      const counter = { hits: 0 };
      server.use(http[method](`${BASE}/flaky`, () => (counter.hits++, HttpResponse.error())));
      return counter;
    }
    const fastRetry = { maxRetries: 2, baseDelay: 0 };

    it('retries a GET, then errors with a NetworkError', async () => {
      const counter = failing();

      const error = await errorOf(client({ retry: fastRetry }).get('/flaky'));

      expect(error).toBeInstanceOf(NetworkError);
      expect(error).toMatchObject({ code: 'NETWORK', method: 'GET', url: `${BASE}/flaky` });
      expect(counter.hits).toBe(3);
    });

    it('lets a per-request policy refine the client\'s, keeping the client\'s delays', async () => {
      const counter = failing();
      const delays: number[] = [];

      await errorOf(client({ retry: { ...fastRetry, onRetry: (_e, _n, delay) => delays.push(delay) } }).get('/flaky', { retry: { maxRetries: 4 } }));

      expect(counter.hits).toBe(5);
      expect(delays).toEqual([0, 0, 0, 0]);
    });

    it('reports each transient retry on the session\'s events$, with the client\'s policy or a per-request one', async () => {
      failing();
      const { session: s } = session();
      const events: SessionEvent[] = [];
      s.events$.subscribe((e) => events.push(e));
      const api = client({ session: s, retry: fastRetry });

      await errorOf(api.get('/flaky', { params: { token: 'secret-query' } }));
      await errorOf(api.get('/flaky', { retry: { maxRetries: 1 } }));

      expect(events).toEqual([
        { type: 'request-retried', method: 'GET', url: `${BASE}/flaky?token=***`, reason: 'transient', attempt: 1 },
        { type: 'request-retried', method: 'GET', url: `${BASE}/flaky?token=***`, reason: 'transient', attempt: 2 },
        { type: 'request-retried', method: 'GET', url: `${BASE}/flaky`, reason: 'transient', attempt: 1 },
      ]);
    });

    it('does not retry a POST', async () => {
      const counter = failing('post');

      const error = await errorOf(client({ retry: fastRetry }).post('/flaky', { a: 1 }));

      expect(error).toBeInstanceOf(NetworkError);
      expect(counter.hits).toBe(1);
    });

    it('retries a POST that carries an Idempotency-Key', async () => {
      const counter = failing('post');

      await errorOf(client({ retry: fastRetry }).post('/flaky', { a: 1 }, { headers: { 'Idempotency-Key': 'k-1' } }));

      expect(counter.hits).toBe(3);
    });

    it('retries a POST marked idempotent', async () => {
      const counter = failing('post');

      await errorOf(client({ retry: fastRetry }).post('/flaky', { a: 1 }, { idempotent: true }));

      expect(counter.hits).toBe(3);
    });
  });

  describe('when the server answers 503 and then 200', () => {
    it('retries and emits the body', async () => {
      let hits = 0;
      server.use(http.get(`${BASE}/busy`, () => (++hits === 1 ? HttpResponse.text('busy', { status: 503 }) : HttpResponse.json('done'))));

      await expect(lastValueFrom(client({ retry: { maxRetries: 2, baseDelay: 0 } }).get('/busy'))).resolves.toBe('done');
      expect(hits).toBe(2);
    });
  });

  describe('when the server answers 400', () => {
    it('does not retry', async () => {
      let hits = 0;
      server.use(http.get(`${BASE}/bad`, () => (hits++, HttpResponse.json({ error: 'bad' }, { status: 400 }))));

      const error = await errorOf(client({ retry: { maxRetries: 2, baseDelay: 0 } }).get('/bad'));

      expect(error).toMatchObject({ status: 400 });
      expect(hits).toBe(1);
    });
  });

  describe('when a 503 carries Retry-After', () => {
    it('waits what it asks (a past date: no wait) instead of the backoff', async () => {
      let hits = 0;
      server.use(
        http.get(`${BASE}/busy`, () =>
          ++hits === 1
            ? HttpResponse.text('busy', { status: 503, headers: { 'retry-after': 'Wed, 21 Oct 2015 07:28:00 GMT' } })
            : HttpResponse.json('done'),
        ),
      );
      const delays: number[] = [];
      // Without Retry-After this would wait 60 s and the test would time out.
      const retry = { maxRetries: 1, baseDelay: 60_000, maxDelay: 60_000, jitter: false, onRetry: (_e: unknown, _a: number, d: number) => delays.push(d) };

      await expect(lastValueFrom(client({ retry }).get('/busy'))).resolves.toBe('done');
      expect(delays).toEqual([0]);
      expect(hits).toBe(2);
    });

    it('caps the wait at maxDelay', async () => {
      let hits = 0;
      server.use(
        http.get(`${BASE}/busy`, () => (++hits === 1 ? HttpResponse.text('busy', { status: 503, headers: { 'retry-after': '120' } }) : HttpResponse.json('done'))),
      );
      const delays: number[] = [];
      const retry = { maxRetries: 1, baseDelay: 0, maxDelay: 0, onRetry: (_e: unknown, _a: number, d: number) => delays.push(d) };

      await expect(lastValueFrom(client({ retry }).get('/busy'))).resolves.toBe('done');
      expect(delays).toEqual([0]);
    });
  });

  describe('when an attempt takes longer than the timeout', () => {
    it('errors with a RequestTimeoutError and aborts the fetch', async () => {
      const aborted = deferred<boolean>();
      server.use(
        http.get(`${BASE}/slow`, async ({ request }) => {
          await untilAborted(request.signal);
          aborted.resolve(request.signal.aborted);
          return HttpResponse.json({});
        }),
      );

      const error = await errorOf(client({ timeout: 50 }).get('/slow'));

      expect(error).toBeInstanceOf(RequestTimeoutError);
      expect(error).toMatchObject({ code: 'TIMEOUT', method: 'GET', url: `${BASE}/slow`, timeout: 50 });
      expect((error as Error).message).toContain(`GET ${BASE}/slow`);
      await expect(aborted.promise).resolves.toBe(true);
    });
  });

  describe('when a session is given', () => {
    function recordAuthorization(url: string, seen: (string | null)[]) {
      return http.all(url, ({ request }) => {
        seen.push(request.headers.get('authorization'));
        return HttpResponse.json('ok');
      });
    }

    it('sends the access token to the base origin and to allowed origins only', async () => {
      const seen: Record<string, (string | null)[]> = { base: [], files: [], other: [] };
      server.use(
        recordAuthorization(`${BASE}/me`, seen.base!),
        recordAuthorization(`${FILES}/f/1`, seen.files!),
        recordAuthorization(`${OTHER}/x`, seen.other!),
      );
      const api = client({ session: session().session, allowedOrigins: [FILES] });

      await lastValueFrom(api.get('/me'));
      await lastValueFrom(api.get(`${ORIGIN}/v1/me`));
      await lastValueFrom(api.get(`${FILES}/f/1`));
      await lastValueFrom(api.get(`${OTHER}/x`));

      expect(seen).toEqual({ base: ['Bearer a1', 'Bearer a1'], files: ['Bearer a1'], other: [null] });
    });

    it('sends no token with auth: false', async () => {
      const seen: (string | null)[] = [];
      server.use(recordAuthorization(`${BASE}/public`, seen));

      await lastValueFrom(client({ session: session().session }).get('/public', { auth: false }));

      expect(seen).toEqual([null]);
    });

    it('sends no token when the session is signed out', async () => {
      const seen: (string | null)[] = [];
      server.use(recordAuthorization(`${BASE}/me`, seen));

      await lastValueFrom(client({ session: session(null).session }).get('/me'));

      expect(seen).toEqual([null]);
    });
  });

  describe('when a request gets 401 with an invalid_token challenge', () => {
    function protectedResource(validToken: string | null) {
      const seen: (string | null)[] = [];
      server.use(
        http.get(`${BASE}/me`, ({ request }) => {
          const authorization = request.headers.get('authorization');
          seen.push(authorization);
          if (validToken !== null && authorization === `Bearer ${validToken}`) return HttpResponse.json({ name: 'Ada' });
          return HttpResponse.json(
            { error: 'invalid_token' },
            { status: 401, headers: { 'www-authenticate': 'Bearer realm="api", error="invalid_token", error_description="expired"' } },
          );
        }),
      );
      return seen;
    }

    it('refreshes once and retries with the new token', async () => {
      const seen = protectedResource('a2');
      const { session: tokens, refresh } = session();

      await expect(lastValueFrom(client({ session: tokens }).get('/me'))).resolves.toEqual({ name: 'Ada' });

      expect(refresh).toHaveBeenCalledTimes(1);
      expect(refresh).toHaveBeenCalledWith('r1');
      expect(seen).toEqual(['Bearer a1', 'Bearer a2']);
      expect(tokens.state.tokens).toEqual({ accessToken: 'a2', refreshToken: 'r2' });
    });

    it('errors with HttpError 401 when the retry is rejected too, without a second refresh', async () => {
      const seen = protectedResource(null);
      const { session: tokens, refresh } = session();

      const error = await errorOf(client({ session: tokens }).get('/me'));

      expect(error).toBeInstanceOf(HttpError);
      expect(error).toMatchObject({ status: 401 });
      expect(refresh).toHaveBeenCalledTimes(1);
      expect(seen).toEqual(['Bearer a1', 'Bearer a2']);
      expectNoSecrets(error);
    });

    it('does not refresh for a signed-out request', async () => {
      const seen = protectedResource('a2');
      const { session: tokens, refresh } = session(null);

      const error = await errorOf(client({ session: tokens }).get('/me'));

      expect(error).toMatchObject({ status: 401 });
      expect(refresh).not.toHaveBeenCalled();
      expect(seen).toEqual([null]);
    });
  });

  describe('when a request gets an answer a refresh cannot mend', () => {
    it.each([
      ['403', 403, undefined],
      ['401 insufficient_scope', 401, 'Bearer error="insufficient_scope", scope="admin"'],
      ['401 use_dpop_nonce', 401, 'DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"'],
    ])('%s: errors without refreshing', async (_name, status, challenge) => {
      let hits = 0;
      server.use(
        http.get(`${BASE}/admin`, () => {
          hits++;
          return HttpResponse.json({ error: 'nope' }, { status, headers: challenge ? { 'www-authenticate': challenge } : {} });
        }),
      );
      const { session: tokens, refresh } = session();

      const error = await errorOf(client({ session: tokens }).get('/admin'));

      expect(error).toBeInstanceOf(HttpError);
      expect(error).toMatchObject({ status });
      expect(refresh).not.toHaveBeenCalled();
      expect(hits).toBe(1);
      expectNoSecrets(error);
    });
  });

  describe('when interceptors are configured', () => {
    it('runs them in order around the call, lets them add headers and map responses', async () => {
      const order: string[] = [];
      const seen: Record<string, string | null>[] = [];
      server.use(
        http.get(`${BASE}/me`, ({ request }) => {
          seen.push({ trace: request.headers.get('x-trace'), tenant: request.headers.get('x-tenant') });
          return HttpResponse.json({ n: 1 });
        }),
      );
      const tracing: RequestInterceptor = (request, next) => {
        order.push('tracing');
        return next({ ...request, headers: { ...request.headers, 'x-trace': 't-1' } }).pipe(
          map((response) => (order.push('tracing response'), response)),
        );
      };
      const tenant: RequestInterceptor = (request, next) => {
        order.push('tenant');
        return next({ ...request, headers: { ...request.headers, 'x-tenant': 'acme' } }).pipe(
          map((response): ClientResponse<unknown> => (order.push('tenant response'), { ...response, body: { wrapped: response.body } })),
        );
      };

      await expect(lastValueFrom(client({ interceptors: [tracing, tenant] }).get('/me'))).resolves.toEqual({ wrapped: { n: 1 } });

      expect(order).toEqual(['tracing', 'tenant', 'tenant response', 'tracing response']);
      expect(seen).toEqual([{ trace: 't-1', tenant: 'acme' }]);
    });

    it('never shows them the access token, though the server receives it', async () => {
      const requests: ApiRequest[] = [];
      const seen: (string | null)[] = [];
      server.use(
        http.get(`${BASE}/me`, ({ request }) => {
          seen.push(request.headers.get('authorization'));
          return HttpResponse.json({});
        }),
      );
      const spy: RequestInterceptor = (request, next) => {
        requests.push(request);
        return next(request);
      };

      await lastValueFrom(client({ session: session().session, interceptors: [spy] }).get('/me', { headers: { 'X-Extra': '1' } }));

      expect(seen).toEqual(['Bearer a1']);
      expect(requests).toHaveLength(1);
      expect(Object.keys(requests[0]!.headers)).toEqual(['x-extra']);
      expect(JSON.stringify(requests)).not.toContain('a1');
    });

    it('runs them once per call, outside the retries', async () => {
      let hits = 0;
      let calls = 0;
      server.use(http.get(`${BASE}/busy`, () => (++hits === 1 ? HttpResponse.text('busy', { status: 503 }) : HttpResponse.json('done'))));
      const counting: RequestInterceptor = (request, next) => (calls++, next(request));

      await lastValueFrom(client({ interceptors: [counting], retry: { maxRetries: 1, baseDelay: 0 } }).get('/busy'));

      expect(hits).toBe(2);
      expect(calls).toBe(1);
    });

    it('errors when an interceptor throws', async () => {
      let hits = 0;
      server.use(http.get(`${BASE}/me`, () => (hits++, HttpResponse.json({}))));
      const boom = new Error('interceptor failed');
      const throwing: RequestInterceptor = () => {
        throw boom;
      };

      const me$ = client({ interceptors: [throwing] }).get('/me');

      await expect(errorOf(me$)).resolves.toBe(boom);
      expect(hits).toBe(0);
    });
  });

  describe('when the configuration is invalid', () => {
    it.each([
      ['a relative baseUrl', { baseUrl: '/v1' }],
      ['a non-URL baseUrl', { baseUrl: 'not a url' }],
      ['an ftp baseUrl', { baseUrl: 'ftp://files.example.test' }],
      ['a malformed allowed origin', { allowedOrigins: ['files.example.test'] }],
      ['a javascript: allowed origin', { allowedOrigins: ['javascript:alert(1)'] }],
      ['a zero timeout', { timeout: 0 }],
      ['a negative timeout', { timeout: -5 }],
      ['a NaN timeout', { timeout: Number.NaN }],
      ['an infinite timeout', { timeout: Number.POSITIVE_INFINITY }],
    ])('throws a TypeError for %s', (_name, config) => {
      expect(() => createHttpClient({ baseUrl: BASE, ...config } as HttpClientConfig)).toThrow(TypeError);
    });

    it('throws a RangeError for a negative retry count at creation, not on every request', () => {
      expect(() => createHttpClient({ baseUrl: BASE, retry: -1 })).toThrow(RangeError);
      expect(() => createHttpClient({ baseUrl: BASE, retry: { baseDelay: -5 } })).toThrow(RangeError);
    });
  });

  describe('when a fetch is given', () => {
    it('sends through it', async () => {
      const fetch = vi.fn(async (_input: RequestInfo | URL, _init?: RequestInit) => Response.json({ from: 'custom' }));

      await expect(lastValueFrom(client({ fetch }).post('/x', { a: 1 }))).resolves.toEqual({ from: 'custom' });

      expect(fetch).toHaveBeenCalledTimes(1);
      expect(fetch.mock.calls[0]![0]).toBe(`${BASE}/x`);
      expect(fetch.mock.calls[0]![1]).toMatchObject({ method: 'POST', body: '{"a":1}' });
    });
  });

  describe('when no fetch is given', () => {
    it('looks up globalThis.fetch at each call, not at creation', async () => {
      server.use(http.get(`${BASE}/me`, () => HttpResponse.json('intercepted')));
      const api = client();
      const fetchSpy = vi.spyOn(globalThis, 'fetch');

      await expect(lastValueFrom(api.get('/me'))).resolves.toBe('intercepted');

      expect(fetchSpy).toHaveBeenCalledTimes(1);
    });
  });

  describe('when errors are rendered', () => {
    it('never contains a token, whatever the failure', async () => {
      server.use(
        http.get(`${BASE}/network`, () => HttpResponse.error()),
        http.get(`${BASE}/status`, () => HttpResponse.json({ error: 'oops' }, { status: 500 })),
        http.get(`${BASE}/invalid-json`, () => HttpResponse.text('not json')),
        http.get(`${BASE}/slow`, async ({ request }) => (await untilAborted(request.signal), HttpResponse.json({}))),
      );
      const api = client({ session: session().session });

      const errors = [
        await errorOf(api.get('/network')),
        await errorOf(api.get('/status')),
        await errorOf(api.get('/invalid-json')),
        await errorOf(api.get('/slow', { timeout: 20 })),
      ];

      expect(errors.map((e) => (e as { code?: string }).code)).toEqual(['NETWORK', 'HTTP_STATUS', 'HTTP_STATUS', 'TIMEOUT']);
      for (const error of errors) expectNoSecrets(error);
    });

    it('redacts credential-like query values in messages', async () => {
      server.use(
        http.get(`${BASE}/callback`, () => HttpResponse.json({ error: 'oops' }, { status: 500 })),
        http.get(`${BASE}/offline`, () => HttpResponse.error()),
        http.get(`${BASE}/slow`, async ({ request }) => (await untilAborted(request.signal), HttpResponse.json({}))),
      );
      const params = { code: 'c0de-secret', access_token: 'at-secret', token: 'tk-secret', page: 2 };
      const api = client();

      const errors = [
        await errorOf(api.get('/callback', { params })),
        await errorOf(api.get('/offline', { params })),
        await errorOf(api.get('/slow', { params, timeout: 20 })),
      ];

      for (const error of errors) {
        const { message } = error as Error;
        expect(message).toContain('code=***');
        expect(message).toContain('access_token=***');
        expect(message).toContain('token=***');
        expect(message).toContain('page=2');
        expect(message).not.toMatch(/c0de-secret|at-secret|tk-secret/);
      }
    });
  });
});
