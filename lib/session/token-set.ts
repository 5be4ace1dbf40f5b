/**
 * The tokens of one session, stored and replaced as one value, never field by field.
 */
export interface TokenSet {
  /** Sent as `Authorization: Bearer …` to allowed origins only. */
  readonly accessToken: string;
  /** Sent only to the token endpoint, by the session's `refresh` function. */
  readonly refreshToken?: string;
  /**
   * When the access token expires, in epoch ms (from `expires_in`, or the JWT `exp` claim when
   * the session can read one). Without it the session learns of expiry only from a 401.
   */
  readonly expiresAt?: number;
}

/**
 * What a session holds at one moment: the tokens, the generation they belong to, and whether
 * the session was revoked. This is the value a {@link TokenStore} shares between tabs or
 * processes.
 */
export interface SessionState {
  /** The current token set, `null` when signed out or revoked. */
  readonly tokens: TokenSet | null;
  /** Bumped on every change of `tokens`: refresh, `setTokens`, sign-out, revocation. */
  readonly generation: number;
  /** True once the token endpoint answered `invalid_grant`, until new tokens are set. */
  readonly revoked: boolean;
  /** When these tokens were received, in epoch ms: with `expiresAt` it gives the token's life. */
  readonly receivedAt: number;
}
