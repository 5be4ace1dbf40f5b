import { describe, expect, it } from 'vitest';
import { NetworkError } from '../../lib/errors/network-error.js';
import { RequestError } from '../../lib/errors/request-error.js';

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
