import { describe, expect, it } from 'vitest';
import { HttpError } from '../../lib/errors/http-error.js';
import { checkStatus, isSuccessStatus } from '../../lib/transport/check-status.js';
import type { ApiResponse } from '../../lib/transport/api-request.js';

const request = { method: 'GET', url: 'https://api.test/x?access_token=secret' };
const response = (status: number): ApiResponse<unknown> => ({ status, statusText: 'S', headers: new Headers({ a: 'b' }), body: { n: 1 }, url: 'https://api.test/y' });

describe('isSuccessStatus', () => {
  it('is true for 2xx and for nothing else', () => {
    for (const status of [200, 201, 204, 299]) expect(isSuccessStatus(status), String(status)).toBe(true);
    for (const status of [0, 100, 199, 300, 304, 401, 500]) expect(isSuccessStatus(status), String(status)).toBe(false);
  });
});

describe('checkStatus', () => {
  it('passes a 2xx response through as it is', () => {
    const ok = response(204);
    expect(checkStatus(request, ok)).toBe(ok);
  });

  it('throws an HttpError with what the response said for any other status, the URL redacted', () => {
    let caught: unknown;
    try {
      checkStatus(request, response(404));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(HttpError);
    const error = caught as HttpError;
    expect([error.status, error.statusText, error.body, error.headers.get('a'), error.url, error.responseUrl]).toEqual([404, 'S', { n: 1 }, 'b', 'https://api.test/x?access_token=***', 'https://api.test/y']);
  });
});
