import { jwtExpiry } from '../util/jwt-expiry.js';

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
  /**
   * With `tokenType: 'DPoP'`: the RFC 7638 thumbprint of the key the tokens are bound to (the
   * token's `cnf.jkt`, public), stamped by the session's `dpop` binding. It travels with the shared
   * state, so that a member whose key differs refuses to refresh (rule 15). Absent: not known.
   */
  readonly keyThumbprint?: string;
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
// RFC 6750 §2.1: a bearer token is visible ASCII without spaces; RFC 6749 Appendix A.17: a refresh
// token is VSCHAR. Anything else would be refused by fetch as a header value (and undici's error
// message quotes the value) or mangled on the way to the token endpoint.
export const ACCESS_TOKEN = /^[\x21-\x7e]+$/;
export const REFRESH_TOKEN = /^[\x20-\x7e]+$/;
// 1e11 ms is March 1973, 1e11 s is the year 5138: below it an expiry can only be seconds.
const SECONDS_LIMIT = 1e11;
// A clock this far past 1970 is a real clock, not a TestScheduler's virtual one (which starts at 0).
const REAL_CLOCK = 1e12;

/**
 * Checks a token set from user code or a refresh function and fills what can be derived:
 * `expiresAt` from the JWT `exp` claim, and (rule 4, here only) the previous refresh token when no
 * new one came back (the server did not rotate it). Returns a description of the first problem
 * instead of a token set when the value is unusable; the description never quotes a token.
 */
export function normalizeTokenSet(value: unknown, now: number, previousRefreshToken?: string): TokenSet | string {
  if (typeof value !== 'object' || value === null) return `a token set must be an object, got ${typeOf(value)}`;
  const { accessToken, refreshToken, expiresAt, tokenType, keyThumbprint } = value as Record<string, unknown>;
  const problem = checkToken('accessToken', accessToken, ACCESS_TOKEN) ?? checkToken('refreshToken', refreshToken, REFRESH_TOKEN);
  if (problem) return problem;
  const kept = (refreshToken as string | undefined) ?? previousRefreshToken;
  if (accessToken === undefined && kept === undefined) return 'a token set needs an accessToken or a refreshToken';
  if (expiresAt !== undefined && (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt))) {
    return `expiresAt must be a finite number of epoch ms when present, got ${typeOf(expiresAt)}`;
  }
  if (typeof expiresAt === 'number' && now > REAL_CLOCK && expiresAt > 0 && expiresAt < SECONDS_LIMIT) {
    return `expiresAt must be epoch milliseconds, got ${expiresAt}, which can only be seconds: multiply it by 1000`;
  }
  // A base64url SHA-256 (43 characters), only beside tokenType 'DPoP'.
  if (keyThumbprint !== undefined && !(tokenType === 'DPoP' && /^[\w-]{43}$/.test(keyThumbprint as string))) return 'keyThumbprint must be a JWK thumbprint, with tokenType DPoP';
  const expiry = (expiresAt as number | undefined) ?? (typeof accessToken === 'string' ? jwtExpiry(accessToken) : undefined);
  return {
    ...(accessToken === undefined ? {} : { accessToken: accessToken as string }),
    ...(kept === undefined ? {} : { refreshToken: kept }),
    ...(expiry === undefined ? {} : { expiresAt: expiry }),
    // Only the one value a token set may have; anything else is Bearer.
    ...(tokenType === 'DPoP' && { tokenType }),
    ...(keyThumbprint !== undefined && { keyThumbprint: keyThumbprint as string }),
  };
}

/** `normalizeTokenSet` for tokens the app hands over: a TypeError on a bad set. */
export function checkedTokens(tokens: unknown, now: number, where: string): TokenSet {
  const checked = normalizeTokenSet(tokens, now);
  if (typeof checked === 'string') throw new TypeError(`${where}: invalid token set: ${checked}`);
  return checked;
}

/** What is wrong with a token field (`name`, when present): not a non-empty string, or characters a token may not have. */
export function checkToken(name: string, value: unknown, allowed: RegExp): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') return `${name} must be a non-empty string when present, got ${typeOf(value)}`;
  if (!allowed.test(value)) return `${name} contains characters a token may not have (control characters, spaces or non-ASCII)`;
  return undefined;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return value === '' ? 'an empty string' : 'a string';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return typeof value;
}
