/*
 * The few lines of JWS (RFC 7515, compact serialization) that a client assertion needs, on
 * WebCrypto: no dependency, and the key may stay non-extractable. Verification is the
 * authorization server's; `verifyJws` is here for the fake one of `rx-token-http/testing` (the
 * specs check our output with jose).
 */

/** The JWS algorithms a client assertion (or a DPoP proof) may be signed with, and the WebCrypto parameters of each. */
export const ALGORITHMS = {
  ES256: { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' },
  ES384: { name: 'ECDSA', namedCurve: 'P-384', hash: 'SHA-384' },
  ES512: { name: 'ECDSA', namedCurve: 'P-521', hash: 'SHA-512' },
  RS256: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  RS384: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-384' },
  RS512: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-512' },
  PS256: { name: 'RSA-PSS', hash: 'SHA-256', saltLength: 32 },
  PS384: { name: 'RSA-PSS', hash: 'SHA-384', saltLength: 48 },
  PS512: { name: 'RSA-PSS', hash: 'SHA-512', saltLength: 64 },
  EdDSA: { name: 'Ed25519' },
} as const;

export type JwsAlgorithm = keyof typeof ALGORITHMS;

export function isJwsAlgorithm(value: unknown): value is JwsAlgorithm {
  return typeof value === 'string' && Object.hasOwn(ALGORITHMS, value);
}

/** The JWS algorithm a WebCrypto private key signs with, or undefined when it is none we support. */
export function algorithmOfKey(key: CryptoKey): JwsAlgorithm | undefined {
  const algorithm = key.algorithm as { name: string; namedCurve?: string; hash?: { name: string } };
  return (Object.keys(ALGORITHMS) as JwsAlgorithm[]).find((alg) => {
    const params: { name: string; namedCurve?: string; hash?: string } = ALGORITHMS[alg];
    return params.name === algorithm.name && params.namedCurve === algorithm.namedCurve && (params.namedCurve !== undefined || params.hash === algorithm.hash?.name);
  });
}

/** The JWS algorithm a private JWK implies: its `alg`, else by curve (EC, OKP) or RS256 (RSA). */
export function algorithmOfJwk(jwk: JsonWebKey): JwsAlgorithm | undefined {
  if (jwk.alg !== undefined) return isJwsAlgorithm(jwk.alg) ? jwk.alg : undefined;
  if (jwk.kty === 'RSA') return 'RS256';
  if (jwk.kty === 'OKP') return jwk.crv === 'Ed25519' ? 'EdDSA' : undefined;
  return ({ 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' } as const)[jwk.crv as 'P-256'];
}

/** Imports a private JWK for signing with `alg`: non-extractable, once. */
export function importSigningKey(jwk: JsonWebKey, alg: JwsAlgorithm): Promise<CryptoKey> {
  // Fields WebCrypto checks against its own idea of the key; the JWS algorithm is ours to pick.
  const { alg: _alg, key_ops: _ops, use: _use, ext: _ext, ...material } = jwk as JsonWebKey & { use?: string };
  return crypto.subtle.importKey('jwk', material, ALGORITHMS[alg], false, ['sign']);
}

/** `header.payload.signature`, base64url-encoded, signed with `key` by `alg` (RFC 7515 §7.1). */
export async function signJws(key: CryptoKey, alg: JwsAlgorithm, header: Record<string, unknown>, payload: Record<string, unknown>): Promise<string> {
  const input = `${base64url(JSON.stringify({ ...header, alg }))}.${base64url(JSON.stringify(payload))}`;
  // WebCrypto's ECDSA signature is r || s (IEEE P1363), which is what JWS wants (RFC 7518 §3.4).
  const signature = await crypto.subtle.sign(ALGORITHMS[alg], key, new TextEncoder().encode(input));
  return `${input}.${base64url(new Uint8Array(signature))}`;
}

/**
 * Whether `jws` (compact) is signed by the public `jwk` with the `alg` of its header, one of ours.
 * Returns the decoded header and payload when it is, else `undefined`; never throws.
 */
export async function verifyJws(jws: string, jwk: JsonWebKey): Promise<{ header: Record<string, unknown>; payload: Record<string, unknown> } | undefined> {
  try {
    const [header64, payload64, signature64, ...rest] = jws.split('.');
    if (rest.length > 0 || !header64 || !payload64 || !signature64) return undefined;
    const header = JSON.parse(new TextDecoder().decode(bytesOf(header64))) as Record<string, unknown>;
    const payload = JSON.parse(new TextDecoder().decode(bytesOf(payload64))) as Record<string, unknown>;
    if (!isJwsAlgorithm(header.alg)) return undefined;
    const { alg: _alg, key_ops: _ops, use: _use, ext: _ext, d: _d, ...material } = jwk as JsonWebKey & { use?: string };
    const key = await crypto.subtle.importKey('jwk', material, ALGORITHMS[header.alg], false, ['verify']);
    const valid = await crypto.subtle.verify(ALGORITHMS[header.alg], key, bytesOf(signature64), new TextEncoder().encode(`${header64}.${payload64}`));
    return valid ? { header, payload } : undefined;
  } catch {
    return undefined;
  }
}

function bytesOf(base64urlText: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(base64urlText.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
}

/** base64url without padding (RFC 7515 §2), of a string's UTF-8 bytes or of bytes. */
export function base64url(data: string | Uint8Array): string {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
