import { verifyJws } from '../../oauth2/jws-sign.js';

/** RFC 7523 §2.2: the `client_assertion_type` of a `private_key_jwt` client. */
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** The longest life the fake accepts for an assertion, in seconds (privateKeyJwt's maximum). */
const MAX_LIFETIME = 600;

/** What a `private_key_jwt` assertion is checked against. */
export interface AssertionCheck {
  /** The client it must be from: `iss` and `sub`. */
  readonly clientId: string;
  /** The client's public keys; the header's `kid` picks one (any, when it names none). */
  readonly keys: readonly JsonWebKey[];
  /** What `aud` may be: the token endpoint URL, or the server's origin (its issuer). */
  readonly audiences: readonly string[];
  /** Now, epoch ms. */
  readonly now: number;
  /** The `jti`s seen so far: an assertion is good once (RFC 7523 §3, item 7). */
  readonly seen: Set<string>;
}

/**
 * Whether the form carries a valid `private_key_jwt` client assertion (RFC 7523 §3): its type, a
 * signature by one of the client's keys, `iss` = `sub` = the client, an `aud` the server answers
 * to, an `exp` ahead and not too far, and a `jti` never seen before. Never throws.
 */
export async function isValidClientAssertion(form: URLSearchParams, check: AssertionCheck): Promise<boolean> {
  const assertion = form.get('client_assertion');
  if (form.get('client_assertion_type') !== ASSERTION_TYPE || !assertion) return false;
  const kid = headerKid(assertion);
  const candidates = check.keys.filter((key) => kid === undefined || (key as { kid?: string }).kid === kid);
  for (const key of candidates) {
    const verified = await verifyJws(assertion, key);
    if (verified) return claimsHold(verified.payload, check);
  }
  return false;
}

function claimsHold(claims: Record<string, unknown>, check: AssertionCheck): boolean {
  const { iss, sub, aud, exp, jti } = claims;
  const audiences = Array.isArray(aud) ? aud : [aud];
  const now = check.now / 1000;
  if (iss !== check.clientId || sub !== check.clientId) return false;
  if (!audiences.some((a) => typeof a === 'string' && check.audiences.includes(a))) return false;
  if (typeof exp !== 'number' || exp <= now || exp > now + MAX_LIFETIME) return false;
  if (typeof jti !== 'string' || jti === '' || check.seen.has(jti)) return false;
  check.seen.add(jti);
  return true;
}

function headerKid(jws: string): string | undefined {
  try {
    const header = JSON.parse(atob((jws.split('.')[0] ?? '').replace(/-/g, '+').replace(/_/g, '/'))) as { kid?: unknown };
    return typeof header.kid === 'string' ? header.kid : undefined;
  } catch {
    return undefined;
  }
}
