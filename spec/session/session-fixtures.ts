// The token sets and the stop error the session specs share (once the top of create-token-session.spec.ts).
import { TokenRefreshError } from '../../lib/errors/token-refresh-error.js';
import type { TokenSet } from '../../lib/session/token-set.js';

export const t0: TokenSet = { accessToken: 'access-0', refreshToken: 'refresh-0' };
export const t1: TokenSet = { accessToken: 'access-1', refreshToken: 'refresh-1' };
export const t2: TokenSet = { accessToken: 'access-2', refreshToken: 'refresh-2' };

export const stopped = new TokenRefreshError('The session was signed out or disposed during the refresh', { reason: 'signed-out' });
