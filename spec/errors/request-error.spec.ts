// lib/errors/request-error.ts: the abstract parent of the errors of one request, with its method and redacted url.
import { describe, expect, it } from 'vitest';
import { RxTokenHttpError } from '../../lib/errors/rx-token-http-error.js';
import { HttpError, NetworkError, RequestError, RequestTimeoutError } from '../../lib/errors/request-error.js';
import { TokenRevokedError } from '../../lib/errors/token-revoked-error.js';

const URL_ = 'https://ada:pw@api.test/x?access_token=secret&page=2';
const SHOWN = 'https://***@api.test/x?access_token=***&page=2';

describe('the error family', () => {
  it('puts the request errors under an abstract RequestError with method and redacted url', () => {
    for (const error of [new HttpError({ method: 'GET', url: URL_, status: 500 }), new NetworkError('GET', URL_), new RequestTimeoutError('GET', URL_, 5)]) {
      expect(error).toBeInstanceOf(RequestError);
      expect(error).toBeInstanceOf(RxTokenHttpError);
      expect(error).toMatchObject({ method: 'GET', url: SHOWN });
      expect(error.message).not.toMatch(/secret|pw/);
    }
    expect(new TokenRevokedError()).not.toBeInstanceOf(RequestError);
  });
});

describe('HttpError', () => {
  it('names the method, the redacted URL and the status, and keeps what the response said', () => {
    const headers = new Headers({ 'retry-after': '3' });
    const error = new HttpError({ method: 'GET', url: 'https://ada:pw@api.test/x?access_token=secret', status: 503, statusText: 'Unavailable', headers, body: { a: 1 } });
    expect(error).toBeInstanceOf(RequestError);
    expect(error.message).toBe('GET https://***@api.test/x?access_token=*** failed with 503 Unavailable');
    expect(error.message).not.toContain('secret');
    expect([error.name, error.code, error.status, error.statusText, error.body]).toEqual(['HttpError', 'HTTP_STATUS', 503, 'Unavailable', { a: 1 }]);
    expect(error.headers).toBe(headers);
  });

  it('takes the URL that answered, redacted, as responseUrl; the request URL when none is given', () => {
    expect(new HttpError({ method: 'GET', url: 'https://api.test/x', status: 401 }).responseUrl).toBe('https://api.test/x');
    expect(new HttpError({ method: 'GET', url: 'https://api.test/x', status: 401, responseUrl: 'https://other.test/y?code=abc' }).responseUrl).toBe('https://other.test/y?code=***');
  });

  it('has empty headers and statusText by default, and keeps a message and cause of its own', () => {
    const cause = new SyntaxError('bad json');
    const error = new HttpError({ method: 'GET', url: 'https://api.test/x', status: 200, message: 'not JSON', cause });
    expect([error.message, error.statusText, [...error.headers.keys()]]).toEqual(['not JSON', '', []]);
    expect(error.cause).toBe(cause);
  });
});

describe('NetworkError', () => {
  it('names the method and the redacted URL, and keeps what fetch threw as its cause', () => {
    const cause = new TypeError('fetch failed');
    const error = new NetworkError('POST', 'https://api.test/x?access_token=secret', { cause });
    expect(error).toBeInstanceOf(RequestError);
    expect([error.name, error.code, error.method, error.url]).toEqual(['NetworkError', 'NETWORK', 'POST', 'https://api.test/x?access_token=***']);
    expect(error.message).toBe('POST https://api.test/x?access_token=*** failed: network error');
    expect(error.cause).toBe(cause);
  });
});

describe('RequestTimeoutError', () => {
  it('names the request and the limit it ran out of, the URL redacted', () => {
    const error = new RequestTimeoutError('GET', 'https://api.test/x?code=abc', 250);
    expect(error).toBeInstanceOf(RequestError);
    expect([error.name, error.code, error.timeout]).toEqual(['RequestTimeoutError', 'TIMEOUT', 250]);
    expect(error.message).toBe('GET https://api.test/x?code=*** timed out after 250 ms');
  });
});
