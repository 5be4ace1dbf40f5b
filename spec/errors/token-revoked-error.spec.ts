import { describe, expect, it } from 'vitest';
import { TokenRevokedError } from '../../lib/errors/token-revoked-error.js';

describe('TokenRevokedError', () => {
  it('says the session is over, with a message and cause of its own when given', () => {
    const error = new TokenRevokedError();
    expect([error.name, error.code, error.message]).toEqual(['TokenRevokedError', 'TOKEN_REVOKED', 'The session was revoked: sign in again']);
    const cause = new Error('invalid_grant');
    const own = new TokenRevokedError('gone', { cause });
    expect([own.message, own.cause]).toEqual(['gone', cause]);
  });
});
