import { describe, expect, expectTypeOf, it } from 'vitest';
import { HttpError, NetworkError, RequestTimeoutError } from '../../lib/errors/request-error.js';
import type { RxTokenHttpError } from '../../lib/errors/rx-token-http-error.js';
import { TokenRefreshError } from '../../lib/errors/token-refresh-error.js';
import { TokenRevokedError } from '../../lib/errors/token-revoked-error.js';
import { isTransientError } from '../../lib/retry/is-transient-error.js';

const URL_ = 'https://ada:pw@api.test/x?access_token=secret&page=2';
const SHOWN = 'https://***@api.test/x?access_token=***&page=2';

// What an app writes: a switch on `code` that narrows to the class.
function describeError(error: RxTokenHttpError): string {
  switch (error.code) {
    case 'HTTP_STATUS':
      return `status ${error.status} from ${error.responseUrl}`;
    case 'NETWORK':
      return `offline: ${error.method} ${error.url}`;
    case 'TIMEOUT':
      return `slow: ${error.timeout} ms`;
    case 'REFRESH_FAILED':
      return `refresh failed: ${error.reason}`;
    case 'TOKEN_REVOKED':
      return 'signed out';
  }
}

describe('the error family', () => {
  it('narrows the union by code, so error.status is there in the HTTP_STATUS case', () => {
    expect(describeError(new HttpError({ method: 'GET', url: URL_, status: 404 }))).toBe(`status 404 from ${SHOWN}`);
    expect(describeError(new NetworkError('GET', URL_))).toBe(`offline: GET ${SHOWN}`);
    expect(describeError(new RequestTimeoutError('GET', URL_, 30))).toBe('slow: 30 ms');
    expect(describeError(new TokenRefreshError('x', { reason: 'network' }))).toBe('refresh failed: network');
    expect(describeError(new TokenRevokedError())).toBe('signed out');
  });

  it('has literal codes and names', () => {
    expectTypeOf(new HttpError({ method: 'GET', url: URL_, status: 500 }).code).toEqualTypeOf<'HTTP_STATUS'>();
    expectTypeOf(new NetworkError('GET', URL_).name).toEqualTypeOf<'NetworkError'>();
    expectTypeOf<RxTokenHttpError['code']>().toEqualTypeOf<'HTTP_STATUS' | 'NETWORK' | 'TIMEOUT' | 'REFRESH_FAILED' | 'TOKEN_REVOKED'>();
  });

  it('isTransientError is a type guard', () => {
    const error: unknown = new HttpError({ method: 'GET', url: URL_, status: 503 });
    if (!isTransientError(error)) throw new Error('expected transient');
    expectTypeOf(error).toEqualTypeOf<HttpError | NetworkError | RequestTimeoutError>();
    expect(error.url).toContain('api.test');
    expect(isTransientError(new TypeError('bad header'))).toBe(false);
  });
});
