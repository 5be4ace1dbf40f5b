import { describe, expect, it } from 'vitest';
import { HttpError } from '../../lib/errors/http-error.js';
import { RequestError } from '../../lib/errors/request-error.js';

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
