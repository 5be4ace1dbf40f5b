import { describe, expect, it } from 'vitest';
import { RequestError } from '../../lib/errors/request-error.js';
import { RequestTimeoutError } from '../../lib/errors/request-timeout-error.js';

describe('RequestTimeoutError', () => {
  it('names the request and the limit it ran out of, the URL redacted', () => {
    const error = new RequestTimeoutError('GET', 'https://api.test/x?code=abc', 250);
    expect(error).toBeInstanceOf(RequestError);
    expect([error.name, error.code, error.timeout]).toEqual(['RequestTimeoutError', 'TIMEOUT', 250]);
    expect(error.message).toBe('GET https://api.test/x?code=*** timed out after 250 ms');
  });
});
