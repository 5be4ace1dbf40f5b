// DPoP proofs for the fake server's specs: made by the library, or tampered field by field, and a
// reference verdict by jose (RFC 9449 §4.3 as a resource server of this spec would check it).
import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, EmbeddedJWK, jwtVerify, type JWK } from 'jose';
import { createDpopKey, type DpopKey } from '../../../lib/dpop/dpop-key.js';
import { signJws } from '../../../lib/oauth2/jws-sign.js';

export { createDpopKey, type DpopKey };

/** A proof for `method` `url` signed with `key`, its fields as the library makes them unless `change` says otherwise. */
export function proofFor(
  key: DpopKey,
  method: string,
  url: string,
  change: { accessToken?: string; nonce?: string; header?: Record<string, unknown>; claims?: Record<string, unknown>; signer?: CryptoKey } = {},
): Promise<string> {
  const htu = url.split(/[?#]/)[0];
  const claims: Record<string, unknown> = { jti: crypto.randomUUID(), htm: method, htu, iat: Math.floor(Date.now() / 1000) };
  if (change.accessToken !== undefined) claims['ath'] = createHash('sha256').update(change.accessToken).digest('base64url');
  if (change.nonce !== undefined) claims['nonce'] = change.nonce;
  return signJws(change.signer ?? key.privateKey, key.algorithm, { typ: 'dpop+jwt', jwk: key.publicJwk, ...change.header }, { ...claims, ...change.claims });
}

/** What jose (and the checks RFC 9449 §4.3 adds) says of a proof: its key's thumbprint, or why not. */
export async function joseVerdict(proof: string, expected: { method: string; url: string; accessToken?: string; seen?: Set<string> }): Promise<{ jkt: string } | { refused: string }> {
  try {
    const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', maxTokenAge: '60s', clockTolerance: 60 });
    if (typeof payload.jti !== 'string' || payload.jti === '' || expected.seen?.has(payload.jti)) return { refused: 'jti' };
    if (payload['htm'] !== expected.method) return { refused: 'htm' };
    if (payload['htu'] !== expected.url.split(/[?#]/)[0]) return { refused: 'htu' };
    if (expected.accessToken !== undefined && payload['ath'] !== createHash('sha256').update(expected.accessToken).digest('base64url')) return { refused: 'ath' };
    expected.seen?.add(payload.jti);
    return { jkt: await calculateJwkThumbprint(protectedHeader.jwk as JWK) };
  } catch (error) {
    return { refused: (error as Error).message };
  }
}

/** The payload of a proof. */
export function proofClaims(proof: string | null | undefined): Record<string, unknown> {
  return JSON.parse(Buffer.from((proof ?? '').split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}
