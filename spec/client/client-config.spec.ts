import { config as rxConfig, NEVER, of } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { createHttpClient, type HttpClientConfig } from '../../lib/client/create-http-client.js';
import { HttpError } from '../../lib/errors/request-error.js';
import type { RetryOption } from '../../lib/retry/retry-backoff-config.js';
import type { TokenAccess } from '../../lib/session/token-access.js';
import { errorOf } from '../helpers/outcomes.js';

// Issue 21, item 7: every mistake below was accepted, and surfaced (if at all) far from its cause.
const BASE = 'https://api.example.test/v1';

const access = (): TokenAccess => ({
  token: (rejected) => of(rejected === undefined ? { accessToken: 'a1', generation: 1 } : { accessToken: 'a2', generation: 2 }),
  report: () => undefined,
  revoked$: NEVER,
});

const withSession = (session: unknown) => () => createHttpClient({ baseUrl: BASE, session } as unknown as HttpClientConfig);

describe('createHttpClient', () => {
  describe('when `session` is not a session', () => {
    it('throws a TypeError at creation naming `session` and the member it lacks', () => {
      expect(withSession({})).toThrow(
        new TypeError('createHttpClient: `session` must be a TokenSession from createTokenSession(...) (or another TokenAccess); it has no token() method'),
      );
      expect(withSession({ ...access(), report: undefined })).toThrow(/`session`.*it has no report\(\) method/);
      expect(withSession({ ...access(), revoked$: undefined })).toThrow(/`session`.*its revoked\$ is not an observable/);
      expect(withSession('token')).toThrow(/`session`.*got string/);
      for (const session of [{}, 'token', { ...access(), report: 1 }]) expect(withSession(session)).toThrow(TypeError);
    });

    it('accepts a TokenAccess, and null or nothing as no session', async () => {
      const fetch = vi.fn<typeof globalThis.fetch>(async () => new Response('"ok"', { headers: { 'content-type': 'application/json' } }));
      expect(withSession(access())).not.toThrow();
      const api = createHttpClient({ baseUrl: BASE, session: null, fetch });
      await expect(new Promise((resolve, reject) => api.get('/me').subscribe({ next: resolve, error: reject }))).resolves.toBe('ok');
      expect(new Headers(fetch.mock.calls[0]?.[1]?.headers).has('authorization')).toBe(false);
    });
  });

  describe('when a header value is not a string', () => {
    it('fails with a TypeError saying it must be a string, not blaming control characters', async () => {
      const fetch = vi.fn<typeof globalThis.fetch>();
      const api = createHttpClient({ baseUrl: BASE, fetch });
      const error = await errorOf(api.get('/x', { headers: { 'x-count': 42 as unknown as string } }));
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toBe('Invalid value for header "x-count": it must be a string, got number (pass String(value))');
      expect(() => createHttpClient({ baseUrl: BASE, headers: { 'x-flag': true as unknown as string } })).toThrow(
        new TypeError('Invalid value for header "x-flag": it must be a string, got boolean'),
      );
      expect(fetch).not.toHaveBeenCalled();
    });
  });

  describe('when `retry` is no RetryOption', () => {
    it('throws at creation: a TypeError for a wrong type or option, a RangeError for a count that is not whole', () => {
      const client = (retry: unknown) => () => createHttpClient({ baseUrl: BASE, retry: retry as RetryOption });
      expect(client('three')).toThrow(new TypeError('createHttpClient: `retry` must be false, a number of retries or a RetryBackoffConfig object; got string'));
      expect(client(true)).toThrow(TypeError);
      expect(client(1.5)).toThrow(RangeError);
      expect(client({ maxRetries: 1.5 })).toThrow(new RangeError('createHttpClient: `retry`: `maxRetries` must be a whole number of retries >= 0 (or Infinity); got 1.5'));
      expect(client({ count: 3 })).toThrow(/createHttpClient: `retry` has no option `count`/);
    });
  });

  describe('when the retry policy\'s onRetry throws', () => {
    it('fails the request with the error it was handling, and reports what onRetry threw to config.onUnhandledError', async () => {
      const reported: unknown[] = [];
      const previous = rxConfig.onUnhandledError;
      rxConfig.onUnhandledError = (error) => reported.push(error);
      try {
        const fetch = vi.fn<typeof globalThis.fetch>(async () => new Response('busy', { status: 503 }));
        const oops = new Error('logger is down');
        const api = createHttpClient({ baseUrl: BASE, fetch, retry: { maxRetries: 3, baseDelay: 0, onRetry: () => { throw oops; } } });

        const error = await errorOf(api.get('/orders'));
        await new Promise((resolve) => setTimeout(resolve, 10));

        expect(error).toBeInstanceOf(HttpError);
        expect(error).toMatchObject({ status: 503 });
        expect(fetch).toHaveBeenCalledTimes(1);
        expect(reported).toEqual([oops]);
      } finally {
        rxConfig.onUnhandledError = previous;
      }
    });
  });

  describe('when a timeout is not a duration', () => {
    it('throws a TypeError naming the option, the range and what it got', () => {
      expect(() => createHttpClient({ baseUrl: BASE, timeout: '5s' as unknown as number })).toThrow(
        new TypeError('timeout must be a number of ms from 1 to 2147483647, or false; got string'),
      );
      expect(() => createHttpClient({ baseUrl: BASE, attemptTimeout: 0 })).toThrow(/attemptTimeout must be a number of ms from 1 to 2147483647, or false; got 0/);
    });
  });
});
