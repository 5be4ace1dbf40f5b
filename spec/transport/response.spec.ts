import { describe, expect, it } from 'vitest';
import { HttpError } from '../../lib/errors/request-error.js';
import { hasJsonBody, parseJsonBody, readBody, ResponseTooLargeError, checkStatus, isSuccessStatus } from '../../lib/transport/response.js';
import type { ApiResponse } from '../../lib/transport/api-request.js';

const URL_ = 'https://api.example.test/items?access_token=s3cret';
const request = (responseType: 'json' | 'text' | 'blob' | 'arrayBuffer' = 'json', method = 'GET') => ({ method, url: URL_, responseType });

describe('readBody', () => {
  describe('when there is no content to read', () => {
    it.each([
      ['HEAD', 200],
      ['GET', 204],
      ['GET', 205],
      ['GET', 304],
    ])('reads %s %i as null', async (method, status) => {
      const response = new Response(status === 200 ? 'ignored' : null, { status });
      await expect(readBody(response, request('json', method))).resolves.toBeNull();
    });
  });

  describe('when the status is a success', () => {
    it('reads the body as responseType asks', async () => {
      await expect(readBody(Response.json({ a: 1 }), request())).resolves.toEqual({ a: 1 });
      await expect(readBody(new Response('{"a":1}'), request('text'))).resolves.toBe('{"a":1}');
      const blob = (await readBody(new Response('abc', { headers: { 'content-type': 'text/plain' } }), request('blob'))) as Blob;
      expect(await blob.text()).toBe('abc');
      expect(new Uint8Array((await readBody(new Response('ab'), request('arrayBuffer'))) as ArrayBuffer)).toEqual(new Uint8Array([97, 98]));
    });

    it('reads an empty JSON body as null', async () => {
      await expect(readBody(new Response(''), request())).resolves.toBeNull();
      await expect(readBody(new Response(' \n'), request())).resolves.toBeNull();
    });

    it('fails with an HttpError of the status when the body is not JSON, redacting the URL', async () => {
      const error = await readBody(new Response('<html>oops</html>', { status: 200 }), request()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HttpError);
      expect(error).toMatchObject({ status: 200, body: '<html>oops</html>' });
      expect((error as Error).message).toBe('GET https://api.example.test/items?access_token=*** answered 200 but its body is not valid JSON');
    });
  });

  describe('when the status is a failure', () => {
    it('reads JSON when it parses, else the text, and a blank body as null, whatever responseType asks', async () => {
      await expect(readBody(Response.json({ error: 'x' }, { status: 400 }), request('blob'))).resolves.toEqual({ error: 'x' });
      await expect(readBody(new Response('down', { status: 503 }), request())).resolves.toBe('down');
      await expect(readBody(new Response('', { status: 500 }), request('text'))).resolves.toBeNull();
    });
  });

  describe('with maxBytes', () => {
    it('reads a body within the cap as responseType asks', async () => {
      await expect(readBody(Response.json({ a: 1 }), request(), 7)).resolves.toEqual({ a: 1 });
      await expect(readBody(new Response('abc', { status: 500 }), request(), 3)).resolves.toBe('abc');
      const blob = (await readBody(new Response('abc', { headers: { 'content-type': 'text/plain' } }), request('blob'), 3)) as Blob;
      expect([await blob.text(), blob.type]).toEqual(['abc', 'text/plain']);
      expect(new Uint8Array((await readBody(new Response('ab'), request('arrayBuffer'), 2)) as ArrayBuffer)).toEqual(new Uint8Array([97, 98]));
    });

    it('fails with a ResponseTooLargeError for a longer body, of any status', async () => {
      const error = await readBody(new Response('abcd', { status: 502 }), request('text'), 3).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ResponseTooLargeError);
      expect(error).toBeInstanceOf(RangeError);
      expect(error).toMatchObject({ name: 'ResponseTooLargeError', limit: 3, status: 502, message: 'The response body is larger than 3 bytes: reading stopped there' });
    });

    it('fails without reading when Content-Length already says the body is longer', async () => {
      let pulled = false;
      const body = new ReadableStream({ pull: () => void (pulled = true) });
      const response = new Response(body, { headers: { 'content-length': '100' } });
      await expect(readBody(response, request(), 99)).rejects.toBeInstanceOf(ResponseTooLargeError);
      expect(pulled).toBe(false);
    });
  });
});

describe('hasJsonBody', () => {
  it('is true only for a successful JSON read with content', () => {
    expect(hasJsonBody(new Response('{}'), request())).toBe(true);
    expect(hasJsonBody(new Response('{}'), request('text'))).toBe(false);
    expect(hasJsonBody(new Response('{}'), request('json', 'HEAD'))).toBe(false);
    expect(hasJsonBody(new Response(null, { status: 204 }), request())).toBe(false);
    expect(hasJsonBody(new Response('{}', { status: 404 }), request())).toBe(false);
  });
});

describe('parseJsonBody', () => {
  it('parses JSON, reads a blank body as null, and fails with an HttpError otherwise', () => {
    const response = new Response(null, { status: 201 });
    expect(parseJsonBody('[1]', response, request())).toEqual([1]);
    expect(parseJsonBody('', response, request())).toBeNull();
    expect(() => parseJsonBody('nope', response, request())).toThrow(HttpError);
  });
});

const statusRequest = { method: 'GET', url: 'https://api.test/x?access_token=secret' };
const statusResponse = (status: number): ApiResponse<unknown> => ({ status, statusText: 'S', headers: new Headers({ a: 'b' }), body: { n: 1 }, url: 'https://api.test/y' });

describe('isSuccessStatus', () => {
  it('is true for 2xx and for nothing else', () => {
    for (const status of [200, 201, 204, 299]) expect(isSuccessStatus(status), String(status)).toBe(true);
    for (const status of [0, 100, 199, 300, 304, 401, 500]) expect(isSuccessStatus(status), String(status)).toBe(false);
  });
});

describe('checkStatus', () => {
  it('passes a 2xx statusResponse through as it is', () => {
    const ok = statusResponse(204);
    expect(checkStatus(statusRequest, ok)).toBe(ok);
  });

  it('throws an HttpError with what the statusResponse said for any other status, the URL redacted', () => {
    let caught: unknown;
    try {
      checkStatus(statusRequest, statusResponse(404));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(HttpError);
    const error = caught as HttpError;
    expect([error.status, error.statusText, error.body, error.headers.get('a'), error.url, error.responseUrl]).toEqual([404, 'S', { n: 1 }, 'b', 'https://api.test/x?access_token=***', 'https://api.test/y']);
  });
});
