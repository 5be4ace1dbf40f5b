import { describe, expect, it } from 'vitest';
import { HttpError, NetworkError, RequestTimeoutError } from '../../lib/errors/request-error.js';
import { TokenRefreshError } from '../../lib/errors/token-refresh-error.js';
import { TokenRevokedError } from '../../lib/errors/token-revoked-error.js';
import { isTransientError } from '../../lib/retry/is-transient-error.js';

const status = (code: number) => new HttpError({ method: 'GET', url: 'https://api.test/x', status: code });

describe('isTransientError', () => {
  it('is true for a network error, a timeout, and 408, 429 and 5xx', () => {
    expect(isTransientError(new NetworkError('GET', 'https://api.test/x'))).toBe(true);
    expect(isTransientError(new RequestTimeoutError('GET', 'https://api.test/x', 10))).toBe(true);
    for (const code of [408, 429, 500, 502, 503, 599]) expect(isTransientError(status(code)), String(code)).toBe(true);
  });

  it('is false for other statuses, refresh failures, revocation and errors of other kinds', () => {
    for (const code of [400, 401, 403, 404, 409, 422, 600]) expect(isTransientError(status(code)), String(code)).toBe(false);
    expect(isTransientError(new TokenRefreshError('x', { reason: 'network' }))).toBe(false);
    expect(isTransientError(new TokenRevokedError())).toBe(false);
    for (const other of [new TypeError('bad header'), 'network', null, undefined, { status: 503 }]) expect(isTransientError(other)).toBe(false);
  });
});
