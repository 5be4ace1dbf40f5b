import { base64url } from '../oauth2/jws-sign.js';

/** The members RFC 7638 §3.2 hashes, per key type, in the lexicographic order §3.3 asks. */
const REQUIRED: Readonly<Record<string, readonly string[]>> = {
  EC: ['crv', 'kty', 'x', 'y'],
  RSA: ['e', 'kty', 'n'],
  OKP: ['crv', 'kty', 'x'],
};

/**
 * The public half of a JWK: only the members RFC 7638 names for its key type (what a DPoP
 * proof's `jwk` header carries: never `d`, nor `key_ops`, `ext` or `alg`). Throws a TypeError
 * naming the missing member, never a value.
 */
export function publicJwkOf(jwk: JsonWebKey): JsonWebKey {
  const members = typeof jwk?.kty === 'string' ? REQUIRED[jwk.kty] : undefined;
  if (members === undefined) throw new TypeError('publicJwkOf: the JWK must have kty EC, RSA or OKP');
  const out: Record<string, string> = {};
  for (const member of members) {
    const value = (jwk as Record<string, unknown>)[member];
    if (typeof value !== 'string' || value === '') throw new TypeError(`publicJwkOf: the ${jwk.kty} JWK has no ${member}`);
    out[member] = value;
  }
  return out as JsonWebKey;
}

/**
 * The JWK SHA-256 thumbprint of a public key (RFC 7638), base64url: what RFC 9449 calls `jkt`,
 * the value of an access token's `cnf.jkt` when it is bound to the key.
 *
 * @example
 * const jkt = await jwkThumbprint({ kty: 'EC', crv: 'P-256', x: '…', y: '…' });
 */
export async function jwkThumbprint(jwk: JsonWebKey): Promise<string> {
  // JSON.stringify of an object built in the required order is the canonical form §3.3 asks:
  // no whitespace, members sorted, strings escaped as JSON does (base64url needs no escaping).
  const canonical = JSON.stringify(publicJwkOf(jwk));
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(canonical))));
}
