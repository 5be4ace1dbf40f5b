import type { MutableStats } from './fake-server-stats.js';
import { encodeJson, randomToken } from './random-token.js';

/** What a sign-in hands out, as a real one would. */
export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  /** When the access token expires, in epoch milliseconds (by the server's `now`). */
  expiresAt: number;
  /** `'DPoP'` when the tokens are bound to a key (`signIn(subject, { jkt })`); absent: Bearer. */
  tokenType?: 'DPoP';
}

/** How a sign-in binds its tokens. */
export interface SignInOptions {
  /**
   * The JWK thumbprint (RFC 7638) of the client's DPoP key, e.g. `DpopKey.thumbprint`: the tokens are
   * bound to it, as a code exchange with a proof of that key binds them. Needs `dpop` in the config.
   */
  readonly jkt?: string;
}

/** The tokens of one sign-in: every refresh token rotated from it, and every access token issued for it. */
export interface Family {
  readonly id: string;
  readonly sub: string;
  revoked: boolean;
  /** The thumbprint of the key the family's refresh tokens are bound to (DPoP), once bound. */
  jkt?: string;
}

/** The server's view of one access token. */
export interface AccessRecord {
  readonly family: Family;
  readonly expiresAt: number;
  expired: boolean;
  /** The thumbprint of the key the token is bound to (its `cnf.jkt`); absent: a Bearer token. */
  readonly jkt?: string;
}

/** The server's view of one refresh token. */
export interface RefreshRecord {
  readonly family: Family;
  retired: boolean;
}

/** Every token the fake issued, grouped by family: the state both endpoints and the API decide on. */
export interface TokenLedger {
  signIn(subject?: string, options?: SignInOptions): IssuedTokens;
  /** A new family for a client's own tokens (client credentials grant): no refresh token. */
  clientFamily(clientId: string): Family;
  issueRefreshToken(family: Family): string;
  /**
   * An access token living `ttl` ms from now (negative: already expired); by default the configured TTL.
   * Bound to `jkt` (its `cnf.jkt`) when given.
   */
  issueAccessToken(family: Family, ttl?: number, jkt?: string): { accessToken: string; expiresAt: number };
  refreshToken(token: string): RefreshRecord | undefined;
  /** The record of a usable access token: known, not expired (by flag or clock), family not revoked. */
  usableAccessToken(token: string): AccessRecord | undefined;
  /** The family of any refresh or access token the server issued. */
  familyOf(token: string): Family | undefined;
  revoke(family: Family): void;
  revokeAll(): void;
  expireAccessTokens(): void;
  readonly issuedRefreshTokens: readonly string[];
}

/** Creates an empty ledger; `revokedFamilies` is counted in `stats`. */
export function createTokenLedger(options: { now: () => number; accessTokenTtl: number }, stats: MutableStats): TokenLedger {
  const families: Family[] = [];
  const accessTokens = new Map<string, AccessRecord>();
  const refreshTokens = new Map<string, RefreshRecord>();
  const issuedRefreshTokens: string[] = [];
  const revoke = (family: Family) => {
    if (family.revoked) return;
    family.revoked = true;
    stats.revokedFamilies++;
  };
  const ledger: TokenLedger = {
    signIn: (subject, signInOptions) => signIn(ledger, families, subject, signInOptions?.jkt),
    clientFamily(clientId) {
      const family: Family = { id: `family-${families.length + 1}`, sub: clientId, revoked: false };
      families.push(family);
      return family;
    },
    issueRefreshToken(family) {
      const token = randomToken();
      refreshTokens.set(token, { family, retired: false });
      issuedRefreshTokens.push(token);
      return token;
    },
    issueAccessToken(family, ttl = options.accessTokenTtl, jkt) {
      if (jkt !== undefined) stats.dpopBoundTokens++;
      return issueAccessToken(accessTokens, options.now(), family, ttl, jkt);
    },
    refreshToken: (token) => refreshTokens.get(token),
    usableAccessToken(token) {
      const record = accessTokens.get(token);
      if (!record || record.expired || record.family.revoked || options.now() >= record.expiresAt) return undefined;
      return record;
    },
    familyOf: (token) => (refreshTokens.get(token) ?? accessTokens.get(token))?.family,
    revoke,
    revokeAll: () => families.forEach(revoke),
    expireAccessTokens() {
      for (const record of accessTokens.values()) record.expired = true;
    },
    get issuedRefreshTokens() {
      return issuedRefreshTokens.slice();
    },
  };
  return ledger;
}

function signIn(ledger: TokenLedger, families: Family[], subject = `user-${families.length + 1}`, jkt?: string): IssuedTokens {
  const family: Family = { id: `family-${families.length + 1}`, sub: subject, revoked: false, ...(jkt !== undefined && { jkt }) };
  families.push(family);
  const refreshToken = ledger.issueRefreshToken(family);
  return { ...ledger.issueAccessToken(family, undefined, jkt), refreshToken, ...(jkt !== undefined && { tokenType: 'DPoP' as const }) };
}

function issueAccessToken(records: Map<string, AccessRecord>, issuedAt: number, family: Family, ttl: number, jkt: string | undefined) {
  const expiresAt = issuedAt + ttl;
  const accessToken = accessTokenJwt(family, issuedAt, expiresAt, jkt);
  records.set(accessToken, { family, expiresAt, expired: false, ...(jkt !== undefined && { jkt }) });
  return { accessToken, expiresAt };
}

/** A JWT-shaped access token (`at+jwt`, RFC 9068 claims); the signature is random, nobody verifies it. */
function accessTokenJwt(family: Family, issuedAt: number, expiresAt: number, jkt: string | undefined): string {
  const claims = {
    sub: family.sub,
    fam: family.id,
    jti: crypto.randomUUID(),
    exp: Math.floor(expiresAt / 1000),
    iat: Math.floor(issuedAt / 1000),
    // RFC 9449 §6.1: a bound token names its key's thumbprint.
    ...(jkt !== undefined && { cnf: { jkt } }),
  };
  return `${encodeJson({ alg: 'HS256', typ: 'at+jwt' })}.${encodeJson(claims)}.${randomToken()}`;
}
