import type { SessionState } from './token-set.js';

/**
 * The share of a token's whole life that the skew may take at most: a 60 s token with the
 * default 30 s skew is refreshed 15 s before expiry, not after every 30 s.
 */
const MAX_SHARE_OF_LIFE = 0.25;

/**
 * How long before `expiresAt` the session refreshes: the configured skew, but never more than
 * a quarter of the token's life (from `receivedAt` to `expiresAt`).
 */
export function refreshMargin(state: SessionState, skew: number): number {
  const expiresAt = state.tokens?.expiresAt;
  if (expiresAt === undefined) return 0;
  const life = expiresAt - state.receivedAt;
  return life > 0 ? Math.min(skew, life * MAX_SHARE_OF_LIFE) : 0;
}

/** True when the access token has expired, or expires within the {@link refreshMargin}. */
export function expiresSoon(state: SessionState, now: number, skew: number): boolean {
  const expiresAt = state.tokens?.expiresAt;
  return expiresAt !== undefined && expiresAt - now <= refreshMargin(state, skew);
}
