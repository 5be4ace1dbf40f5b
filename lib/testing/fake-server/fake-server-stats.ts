/** Counters since creation or the last `resetStats()` of a fake authorization server. */
export interface FakeAuthorizationServerStats {
  /** `POST`s to the token endpoint, scripted faults included. */
  readonly tokenRequests: number;
  /** Successful `refresh_token` grants. */
  readonly refreshGrants: number;
  /** Requests under the API prefix, whatever their outcome. */
  readonly apiRequests: number;
  /** API requests rejected because the access token was missing, unknown, expired or revoked. */
  readonly apiUnauthorized: number;
  /** Token requests that presented a retired refresh token while reuse detection was on. */
  readonly reuseDetected: number;
  /** Token families revoked, by reuse detection, the revocation endpoint or `revokeAll()`. */
  readonly revokedFamilies: number;
  /** `POST`s to the revocation endpoint (RFC 7009), scripted faults included. */
  readonly revocationRequests: number;
}

/** The counters as the endpoints see them: one object, reset in place so every holder sees the reset. */
export type MutableStats = { -readonly [K in keyof FakeAuthorizationServerStats]: FakeAuthorizationServerStats[K] };

/** Every counter at zero. */
export function emptyStats(): MutableStats {
  return {
    tokenRequests: 0,
    refreshGrants: 0,
    apiRequests: 0,
    apiUnauthorized: 0,
    reuseDetected: 0,
    revokedFamilies: 0,
    revocationRequests: 0,
  };
}
