import { lastValueFrom } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import type { ApiRequest } from '../../lib/transport/api-request.js';
import { NetworkError } from '../../lib/errors/request-error.js';
import { fetchTransport } from '../../lib/transport/fetch-transport.js';
import { ResponseTooLargeError } from '../../lib/transport/response.js';

const URL_ = 'https://api.example.test/v1/items';

function request(overrides: Partial<ApiRequest> = {}): ApiRequest {
  return {
    method: 'GET',
    url: URL_,
    headers: {},
    body: null,
    responseType: 'json',
    timeout: false,
    retry: false,
    auth: false,
    idempotent: false,
    ...overrides,
  };
}

describe('fetchTransport', () => {
  describe('when the subscriber unsubscribes before the response', () => {
    it('aborts the fetch through its signal', async () => {
      let signal: AbortSignal | undefined;
      const fetch = vi.fn((_input: RequestInfo | URL, init?: RequestInit) => {
        signal = init?.signal ?? undefined;
        return new Promise<Response>(() => undefined);
      });
      const error = vi.fn();

      const subscription = fetchTransport(fetch)(request()).subscribe({ error });
      expect(signal?.aborted).toBe(false);
      subscription.unsubscribe();

      expect(signal?.aborted).toBe(true);
      expect(error).not.toHaveBeenCalled();
    });
  });

  describe('when fetch rejects', () => {
    it('errors with a NetworkError whose cause is the rejection', async () => {
      const failure = new TypeError('fetch failed');
      const fetch = vi.fn(() => Promise.reject(failure));

      const result = lastValueFrom(fetchTransport(fetch)(request({ method: 'POST' })));

      await expect(result).rejects.toBeInstanceOf(NetworkError);
      await expect(result).rejects.toMatchObject({ method: 'POST', url: URL_, cause: failure });
    });
  });

  describe('when the method is HEAD', () => {
    it('emits a null body whatever the response carries', async () => {
      const fetch = vi.fn(async () => new Response('unexpected', { status: 200, headers: { 'content-length': '10' } }));

      const response = await lastValueFrom(fetchTransport(fetch)(request({ method: 'HEAD' })));

      expect(response.status).toBe(200);
      expect(response.body).toBeNull();
      expect(response.headers.get('content-length')).toBe('10');
    });

    it('does not wait for a body that cannot be cancelled (msw answers HEAD with one)', async () => {
      const stuck = new ReadableStream({ cancel: () => new Promise<void>(() => undefined) });
      const fetch = vi.fn(async () => new Response(stuck, { status: 200 }));

      const response = await lastValueFrom(fetchTransport(fetch)(request({ method: 'HEAD' })));

      expect(response.body).toBeNull();
    });
  });

  describe('when it is created without a fetch', () => {
    it('looks up globalThis.fetch only when a request is sent', async () => {
      const backend = fetchTransport();
      const fetch = vi.spyOn(globalThis, 'fetch').mockResolvedValue(Response.json({ ok: true }));

      await expect(lastValueFrom(backend(request()))).resolves.toMatchObject({ status: 200, body: { ok: true }, url: URL_ });
      expect(fetch).toHaveBeenCalledWith(URL_, expect.objectContaining({ method: 'GET' }));
    });
  });

  describe('with maxBodyBytes', () => {
    it('stops pulling a longer body at the cap and fails with ResponseTooLargeError, not a retried NetworkError', async () => {
      let pulled = 0;
      let cancelled = false;
      // 1 MiB in 1 KiB chunks: finite, so a regression fails instead of reading forever.
      const long = new ReadableStream<Uint8Array>({
        pull: (controller) => {
          pulled += 1;
          if (pulled > 1024) controller.close();
          else controller.enqueue(new Uint8Array(1024));
        },
        cancel: () => void (cancelled = true),
      });
      const fetch = vi.fn(async () => new Response(long, { status: 200 }));

      const error = await lastValueFrom(fetchTransport(fetch, { maxBodyBytes: 4096 })(request({ responseType: 'text' }))).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(ResponseTooLargeError);
      expect(error).toMatchObject({ limit: 4096, status: 200, message: 'The response body is larger than 4096 bytes: reading stopped there' });
      expect(cancelled).toBe(true);
      expect(pulled).toBeLessThanOrEqual(6);
    });

    it('reads a body within the cap as before, also from a stand-in Response without a stream', async () => {
      const fetch = vi.fn(async () => Response.json({ ok: true }));
      const standIn = { status: 200, statusText: 'OK', headers: new Headers(), body: null, redirected: false, url: URL_, text: async () => 'x'.repeat(10) } as unknown as Response;

      await expect(lastValueFrom(fetchTransport(fetch, { maxBodyBytes: 64 })(request()))).resolves.toMatchObject({ body: { ok: true } });
      await expect(lastValueFrom(fetchTransport(async () => standIn, { maxBodyBytes: 10 })(request({ responseType: 'text' })))).resolves.toMatchObject({ body: 'x'.repeat(10) });
      await expect(lastValueFrom(fetchTransport(async () => standIn, { maxBodyBytes: 9 })(request({ responseType: 'text' })))).rejects.toBeInstanceOf(ResponseTooLargeError);
    });

    it('is a whole number of bytes >= 0: anything else is a RangeError at once', () => {
      expect(() => fetchTransport(undefined, { maxBodyBytes: -1 })).toThrow(new RangeError('fetchTransport: maxBodyBytes must be a whole number of bytes >= 0; got -1'));
      expect(() => fetchTransport(undefined, { maxBodyBytes: 1.5 })).toThrow(RangeError);
    });
  });
});
