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
  /** DPoP proofs received, at the token endpoint and the API, whatever their verdict. */
  readonly dpopProofs: number;
  /** DPoP proofs refused: `invalid_dpop_proof` answers, and DPoP tokens presented without a proof. */
  readonly dpopInvalidProofs: number;
  /** Nonce challenges sent: `400 use_dpop_nonce` from the token endpoint, `401 use_dpop_nonce` from the API. */
  readonly dpopNonceChallenges: number;
  /** Access tokens issued bound to a key (`token_type: DPoP`). */
  readonly dpopBoundTokens: number;
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
    dpopProofs: 0,
    dpopInvalidProofs: 0,
    dpopNonceChallenges: 0,
    dpopBoundTokens: 0,
  };
}
