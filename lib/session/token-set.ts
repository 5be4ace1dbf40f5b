/**
 * The tokens of one session, stored and replaced as one value, never field by field.
 */
export interface TokenSet {
  /**
   * Sent as `Authorization: Bearer …` to allowed origins only. May be absent when a session
   * starts from a refresh token alone: its first request refreshes first.
   */
  readonly accessToken?: string;
  /** Sent only to the token endpoint, by the session's `refresh` function. */
  readonly refreshToken?: string;
  /**
   * When the access token expires, in epoch **milliseconds** (from `expires_in`, or the JWT
   * `exp` claim when the session can read one). Without it the session learns of expiry only
   * from a 401. A value that can only be seconds is refused with a TypeError.
   */
  readonly expiresAt?: number;
  /**
   * `'DPoP'` when the authorization server bound the tokens to the session's DPoP key (RFC 9449
   * §5, `token_type: DPoP`): the access token is then sent as `Authorization: DPoP …` with a
   * proof. Absent: Bearer.
   */
  readonly tokenType?: 'DPoP';
}

/** What changed the shared state last: the reason a member adopts it. */
export type StateChange = 'sign-in' | 'sign-out' | 'refresh' | 'revoked';

/**
 * What a session holds at one moment: the tokens, the generation they belong to, and whether
 * the session was revoked. This is the value a {@link TokenStore} shares between tabs or
 * processes, so it holds only plain data (structured-cloneable, JSON-safe).
 */
export interface SessionState {
  /** The current token set, `null` when signed out or revoked. */
  readonly tokens: TokenSet | null;
  /**
   * Bumped by one on every change of `tokens`: refresh, sign-in, sign-out, revocation. With a
   * store it belongs to the shared state, not to one session: every member sees the same number.
   */
  readonly generation: number;
  /** True once the token endpoint answered `invalid_grant`, until new tokens are set. */
  readonly revoked: boolean;
  /** When these tokens were received, in epoch ms: with `expiresAt` it gives the token's life. */
  readonly receivedAt: number;
  /** What produced this state. */
  readonly change: StateChange;
  /**
   * An opaque random id of the sign-in these tokens descend from (rule 18): every
   * sign-in (`setTokens`, the config's `tokens`) and sign-out makes a new one, a refresh or a
   * revocation keeps it. A request sent with one sign-in's token is never sent again with
   * another's. Absent in states stored by older versions: unknown, never a reason to fail.
   */
  readonly signIn?: string;
}
