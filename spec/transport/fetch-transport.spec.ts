import { lastValueFrom } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import type { ApiRequest } from '../../lib/transport/api-request.js';
import { NetworkError } from '../../lib/errors/network-error.js';
import { fetchTransport } from '../../lib/transport/fetch-transport.js';

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
});
