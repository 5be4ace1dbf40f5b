import { describe, expect, it } from 'vitest';
import { TokenRefreshError, type TokenRefreshFailure } from '../../lib/errors/token-refresh-error.js';

describe('TokenRefreshError', () => {
  it('is transient for network, timeout, server-error and store-failed, and for no other reason by default', () => {
    const transient: TokenRefreshFailure[] = ['network', 'timeout', 'server-error', 'store-failed'];
    const not: TokenRefreshFailure[] = ['oauth-error', 'invalid-response', 'no-refresh-token', 'signed-out', 'disposed', 'sign-in-changed', 'refresh-function'];
    for (const reason of transient) expect(new TokenRefreshError('x', { reason }).transient, reason).toBe(true);
    for (const reason of not) expect(new TokenRefreshError('x', { reason }).transient, reason).toBe(false);
  });

  it('takes transient, oauthError and cause as given', () => {
    const cause = new Error('boom');
    const error = new TokenRefreshError('refresh failed', { reason: 'network', transient: false, oauthError: 'invalid_client', cause });
    expect([error.name, error.code, error.message, error.reason, error.transient, error.oauthError]).toEqual(['TokenRefreshError', 'REFRESH_FAILED', 'refresh failed', 'network', false, 'invalid_client']);
    expect(error.cause).toBe(cause);
  });
});
