import { of, type Observable } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createHttpClient, type HttpClientConfig } from '../../lib/client/create-http-client.js';
import { HttpError, NetworkError, RequestTimeoutError } from '../../lib/errors/request-error.js';
import { createTokenSession } from '../../lib/session/create-token-session.js';
import { createTestTransport, type TestTransport, type TestResponse } from '../../lib/testing/test-transport.js';
import { createTestScheduler } from '../helpers/marbles.js';

const BASE = 'https://api.example.test/v1';

function setup(config: Partial<HttpClientConfig> = {}) {
  const test = createTestTransport();
  const api = createHttpClient({ baseUrl: BASE, transport: test.transport, retry: false, timeout: false, ...config });
  return { test, api };
}

function observe(source: Observable<unknown>) {
  const next = vi.fn();
  const error = vi.fn();
  const complete = vi.fn();
  const subscription = source.subscribe({ next, error, complete });
  return { next, error, complete, subscription };
}

/** Records when (in virtual time) each notification arrived. */
function record(source: Observable<unknown>, scheduler: TestScheduler) {
  const log: { frame: number; kind: 'N' | 'E' | 'C'; value?: unknown }[] = [];
  source.subscribe({
    next: (value) => log.push({ frame: scheduler.now(), kind: 'N', value }),
    error: (value: unknown) => log.push({ frame: scheduler.now(), kind: 'E', value }),
    complete: () => log.push({ frame: scheduler.now(), kind: 'C' }),
  });
  return log;
}

describe('createTestTransport', () => {
  describe('when a request waits for the test', () => {
    it('is found by expectOne and answered by flush', () => {
      const { test, api } = setup();
      const result = observe(api.get('/users', { params: { page: 2 } }));

      const pending = test.expectOne('/v1/users');
      expect(pending.request).toMatchObject({ method: 'GET', url: `${BASE}/users?page=2`, body: null });
      expect(result.next).not.toHaveBeenCalled();
      pending.flush([{ id: 1 }]);

      expect(result.next).toHaveBeenCalledWith([{ id: 1 }]);
      expect(result.complete).toHaveBeenCalled();
      test.verify();
    });

    it('matches by full URL, path with query, method and RegExp, or predicate', () => {
      const { test, api } = setup();
      observe(api.post('/users', { name: 'Ada' }));
      observe(api.get('/users/7', { params: { expand: 'roles' } }));

      expect(test.expectOne(`${BASE}/users/7?expand=roles`).request.method).toBe('GET');
      expect(test.expectOne('/v1/users/7?expand=roles').request.method).toBe('GET');
      expect(test.expectOne({ method: 'post', url: /\/users$/ }).request.body).toBe('{"name":"Ada"}');
      expect(test.expectOne((request) => request.headers['content-type'] === 'application/json').request.method).toBe('POST');
      expect(test.match({ url: /users/ })).toHaveLength(2);
      expect(test.match('/v1/nothing')).toEqual([]);
    });

    it('turns a flushed failing status into an HttpError', () => {
      const { test, api } = setup();
      const result = observe(api.get('/users/7'));

      test.expectOne('/v1/users/7').flush({ error: 'not_found' }, { status: 404, statusText: 'Not Found', headers: { 'x-request-id': 'r-1' } });

      const error = result.error.mock.calls[0]?.[0] as HttpError;
      expect(error).toBeInstanceOf(HttpError);
      expect(error).toMatchObject({ status: 404, statusText: 'Not Found', body: { error: 'not_found' } });
      expect(error.headers.get('x-request-id')).toBe('r-1');
    });

    it('fails with a NetworkError by default on error(), or with the given error', () => {
      const { test, api } = setup();
      const first = observe(api.get('/a'));
      const second = observe(api.get('/b'));
      const custom = new Error('custom');

      test.expectOne('/v1/a').error();
      test.expectOne('/v1/b').error(custom);

      expect(first.error.mock.calls[0]?.[0]).toBeInstanceOf(NetworkError);
      expect(first.error.mock.calls[0]?.[0]).toMatchObject({ method: 'GET', url: `${BASE}/a` });
      expect(second.error).toHaveBeenCalledWith(custom);
    });

    it('shows the authorization header the client attached', () => {
      const session = createTokenSession({ tokens: { accessToken: 'a1', refreshToken: 'r1' }, refresh: () => of({ accessToken: 'a2' }) });
      const { test, api } = setup({ session });
      const result = observe(api.get('/me'));

      test.expectOne('/v1/me').flush(null, { status: 401 });
      const retried = test.expectOne('/v1/me');
      retried.flush({ name: 'Ada' });

      expect(test.requests.map((r) => r.request.headers.authorization)).toEqual(['Bearer a1', 'Bearer a2']);
      expect(result.next).toHaveBeenCalledWith({ name: 'Ada' });
    });
  });

  describe('when expectOne finds no request or several', () => {
    it('throws, naming the pending requests', () => {
      const { test, api } = setup();
      observe(api.get('/a'));
      observe(api.get('/a'));

      expect(() => test.expectOne('/v1/missing')).toThrow(/found 0.*GET https:\/\/api\.example\.test\/v1\/a/);
      expect(() => test.expectOne('/v1/a')).toThrow(/found 2/);
    });
  });

  describe('when expectNone is called', () => {
    it('throws only when a pending request matches', () => {
      const { test, api } = setup();
      observe(api.get('/a'));

      expect(() => test.expectNone('/v1/b')).not.toThrow();
      expect(() => test.expectNone('/v1/a')).toThrow(/Expected no pending request/);
      test.expectOne('/v1/a').flush(null);
      expect(() => test.expectNone('/v1/a')).not.toThrow();
    });
  });

  describe('when verify is called', () => {
    it('throws while a request is pending and passes once it is answered', () => {
      const { test, api } = setup();
      observe(api.get('/a'));

      expect(() => test.verify()).toThrow(/found 1.*GET https:\/\/api\.example\.test\/v1\/a/);
      test.expectOne('/v1/a').flush('ok');
      expect(() => test.verify()).not.toThrow();
    });

    it('passes once the pending request is cancelled', () => {
      const { test, api } = setup();
      const { subscription } = observe(api.get('/a'));

      expect(() => test.verify()).toThrow();
      subscription.unsubscribe();
      expect(() => test.verify()).not.toThrow();
    });
  });

  describe('when the client unsubscribes', () => {
    it('marks the request cancelled and refuses to answer it', () => {
      const { test, api } = setup();
      const result = observe(api.get('/a'));
      const pending = test.expectOne('/v1/a');

      result.subscription.unsubscribe();

      expect(pending.cancelled).toBe(true);
      expect(test.requests[0]?.cancelled).toBe(true);
      expect(test.match('/v1/a')).toEqual([]);
      expect(() => pending.flush('late')).toThrow(/cancelled/);
      expect(result.next).not.toHaveBeenCalled();
    });
  });

  describe('when a request is answered twice', () => {
    it('throws on the second answer', () => {
      const { test, api } = setup();
      observe(api.get('/a'));
      const pending = test.expectOne('/v1/a');
      pending.flush('ok');

      expect(() => pending.flush('again')).toThrow(/answered already/);
      expect(() => pending.error()).toThrow(/answered already/);
      expect(pending.cancelled).toBe(false);
    });
  });

  describe('when a rule answers with a value', () => {
    it('answers every matching request at once', () => {
      const { test, api } = setup();
      test.when({ method: 'GET', url: '/v1/users' }, { body: [{ id: 1 }] });
      test.when({ method: 'POST', url: /\/users$/ }, { status: 201, body: { id: 2 } });
      test.when((request) => request.method === 'DELETE', { status: 204 });

      const listed = observe(api.get('/users'));
      const created = observe(api.post('/users', { name: 'Ada' }, { observe: 'response' }));
      const removed = observe(api.delete('/users/1'));

      expect(listed.next).toHaveBeenCalledWith([{ id: 1 }]);
      expect(created.next).toHaveBeenCalledWith(expect.objectContaining({ status: 201, body: { id: 2 }, url: `${BASE}/users` }));
      expect(removed.next).toHaveBeenCalledWith(null);
      test.verify();
    });

    it('lists the requests it answered in requests', () => {
      const { test, api } = setup();
      test.when('/v1/users', { body: [] });

      observe(api.get('/users'));
      observe(api.get('/users'));

      expect(test.requests.map((r) => `${r.request.method} ${r.request.url}`)).toEqual([`GET ${BASE}/users`, `GET ${BASE}/users`]);
    });
  });

  describe('when a rule answers with cold observables in virtual time', () => {
    let testScheduler: TestScheduler;
    beforeEach(() => {
      testScheduler = createTestScheduler();
    });

    function virtualClient(test: TestTransport, config: Partial<HttpClientConfig> = {}) {
      return createHttpClient({ baseUrl: BASE, transport: test.transport, scheduler: testScheduler, retry: false, ...config });
    }

    it('emits the body when the cold observable answers', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const test = createTestTransport();
        const api = virtualClient(test);
        const users = [{ id: 1 }];
        test.when('/v1/users', () => cold<TestResponse>('--r|', { r: { body: users } }));

        expectObservable(api.get('/users')).toBe('--b|', { b: users });
      });
    });

    it('errors with RequestTimeoutError at the timeout and unsubscribes from the late answer', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const test = createTestTransport();
        const api = virtualClient(test, { timeout: 100 });
        const reply = cold<TestResponse>('500ms r', { r: { body: 'late' } });
        test.when('/v1/slow', () => reply);

        expectObservable(api.get('/slow')).toBe('100ms #', undefined, new RequestTimeoutError('GET', `${BASE}/slow`, 100));
        expectSubscriptions(reply.subscriptions).toBe('^ 99ms !');
      });
    });

    it('cancels a request waiting for the test when it times out', () => {
      const test = createTestTransport();
      let log: ReturnType<typeof record> = [];
      testScheduler.run(() => {
        log = record(virtualClient(test, { timeout: 100 }).get('/pending'), testScheduler);
      });

      expect(log).toEqual([{ frame: 100, kind: 'E', value: expect.any(RequestTimeoutError) }]);
      expect(test.requests[0]?.cancelled).toBe(true);
      test.verify();
    });

    it('retries 503s with exponential backoff, then errors with the last HttpError', () => {
      let log: ReturnType<typeof record> = [];
      testScheduler.run(({ cold, expectSubscriptions }) => {
        const test = createTestTransport();
        const api = virtualClient(test, { retry: { maxRetries: 2, baseDelay: 100, jitter: false } });
        const reply = cold<TestResponse>('10ms r', { r: { status: 503 } });
        test.when('/v1/busy', () => reply);

        log = record(api.get('/busy'), testScheduler);
        // tries at 0, 10 + 100 and 120 + 200
        // prettier-ignore
        expectSubscriptions(reply.subscriptions).toBe([
          '^ 9ms !',
          '110ms ^ 9ms !',
          '320ms ^ 9ms !',
        ]);
      });

      expect(log).toEqual([{ frame: 330, kind: 'E', value: expect.any(HttpError) }]);
      expect((log[0]?.value as HttpError).status).toBe(503);
    });

    it('waits for Retry-After instead of the backoff', () => {
      testScheduler.run(({ cold, expectSubscriptions }) => {
        const test = createTestTransport();
        const api = virtualClient(test, { retry: { maxRetries: 1, baseDelay: 100, jitter: false } });
        const reply = cold<TestResponse>('10ms r', { r: { status: 503, headers: { 'retry-after': '2' } } });
        test.when('/v1/busy', () => reply);

        record(api.get('/busy'), testScheduler);
        expectSubscriptions(reply.subscriptions).toBe(['^ 9ms !', '2010ms ^ 9ms !']);
      });
    });

    it('calls the reply function again for each attempt, so a retry can succeed', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const test = createTestTransport();
        const api = virtualClient(test, { retry: { maxRetries: 2, baseDelay: 100, jitter: false } });
        let attempts = 0;
        test.when('/v1/busy', () =>
          ++attempts === 1 ? cold<TestResponse>('10ms r', { r: { status: 503 } }) : cold<TestResponse>('10ms (r|)', { r: { body: 'ok' } }),
        );

        expectObservable(api.get('/busy')).toBe('120ms (b|)', { b: 'ok' });
      });
    });
  });
});
