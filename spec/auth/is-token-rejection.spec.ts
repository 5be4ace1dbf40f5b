import { describe, expect, it } from 'vitest';
import { isTokenRejection } from '../../lib/auth/is-token-rejection.js';
import { HttpError } from '../../lib/errors/http-error.js';

const error = (status: number, challenge?: string) =>
  new HttpError({ method: 'GET', url: 'https://api.test/x', status, headers: new Headers(challenge ? { 'WWW-Authenticate': challenge } : {}) });

describe('isTokenRejection', () => {
  it.each([
    ['a bare 401', error(401), true],
    ['invalid_token', error(401, 'Bearer error="invalid_token", error_description="expired"'), true],
    ['a challenge with no error', error(401, 'Bearer realm="api"'), true],
    ['an unquoted invalid_token', error(401, 'Bearer realm="api", error=invalid_token'), true],
    ['insufficient_scope', error(401, 'Bearer error="insufficient_scope", scope="admin"'), false],
    ['a DPoP nonce challenge', error(401, 'DPoP error="use_dpop_nonce", error_description="nonce required"'), false],
    ['an error_description alone that mentions another error', error(401, 'Bearer error_description="error=x"'), true],
    ['a 403', error(403), false],
    ['a 500', error(500), false],
    ['a plain Error', new Error('401'), false],
  ])('%s → %s', (_what, value, expected) => {
    expect(isTokenRejection(value)).toBe(expected);
  });
});
