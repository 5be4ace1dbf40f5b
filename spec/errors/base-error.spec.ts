import { describe, expect, expectTypeOf, it } from 'vitest';
import { BaseError } from '../../lib/errors/base-error.js';
import { HttpError, NetworkError, RequestTimeoutError } from '../../lib/errors/request-error.js';
import { RxTokenHttpError } from '../../lib/errors/rx-token-http-error.js';
import { TokenRefreshError } from '../../lib/errors/token-refresh-error.js';
import { TokenRevokedError } from '../../lib/errors/token-revoked-error.js';

const URL_ = 'https://api.test/x';

describe('the base class of every error (RxTokenHttpError as a value)', () => {
  const errors = [
    new HttpError({ method: 'GET', url: URL_, status: 500 }),
    new NetworkError('GET', URL_),
    new RequestTimeoutError('GET', URL_, 30),
    new TokenRefreshError('x', { reason: 'network' }),
    new TokenRevokedError(),
  ];

  it('is what every error of the library extends, and nothing else', () => {
    for (const error of errors) {
      expect(error).toBeInstanceOf(BaseError);
      expect(error).toBeInstanceOf(RxTokenHttpError);
      expect(error).toBeInstanceOf(Error);
    }
    expect(RxTokenHttpError).toBe(BaseError);
    expect(new TypeError('bad header')).not.toBeInstanceOf(RxTokenHttpError);
  });

  it('narrows an unknown to the union with instanceof, so a switch on code needs no cast', () => {
    const caught: unknown = errors[0];
    if (!(caught instanceof RxTokenHttpError)) throw new Error('expected an RxTokenHttpError');
    expectTypeOf(caught).toEqualTypeOf<HttpError | NetworkError | RequestTimeoutError | TokenRefreshError | TokenRevokedError>();
    expect(caught.code === 'HTTP_STATUS' ? caught.status : undefined).toBe(500);
  });
});
