// lib/errors/request-error.ts: the abstract parent of the errors of one request, with its method and redacted url.
import { describe, expect, it } from 'vitest';
import { RxTokenHttpError } from '../../lib/errors/rx-token-http-error.js';
import { HttpError } from '../../lib/errors/http-error.js';
import { NetworkError } from '../../lib/errors/network-error.js';
import { RequestError } from '../../lib/errors/request-error.js';
import { RequestTimeoutError } from '../../lib/errors/request-timeout-error.js';
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
