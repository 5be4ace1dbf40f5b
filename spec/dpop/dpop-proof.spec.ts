import { createHash } from 'node:crypto';
import { decodeProtectedHeader, EmbeddedJWK, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { createDpopKey, type DpopKey } from '../../lib/dpop/dpop-key.js';
import { accessTokenHash, createDpopProof } from '../../lib/dpop/dpop-proof.js';

/** Verifies a proof as a server would (RFC 9449 §4.3), with jose and the key in its own header. */
async function verify(proof: string, key: DpopKey) {
  const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: [key.algorithm], maxTokenAge: '60s' });
  return { payload, protectedHeader };
}

describe('createDpopProof', () => {
  it('makes a proof jose verifies: typ dpop+jwt, alg, the public jwk, and jti, htm, htu, iat', async () => {
    const key = await createDpopKey();
    const before = Math.floor(Date.now() / 1000);
    const proof = await createDpopProof(key, { method: 'POST', url: 'https://as.example.com/token' });

    const { payload, protectedHeader } = await verify(proof, key);
    expect(protectedHeader).toEqual({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk });
    expect(Object.keys(payload).sort()).toEqual(['htm', 'htu', 'iat', 'jti']);
    expect(payload).toMatchObject({ htm: 'POST', htu: 'https://as.example.com/token' });
    expect(payload.iat).toBeGreaterThanOrEqual(before);
    expect(payload.iat).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('gives every proof a new jti, for the same request too', async () => {
    const key = await createDpopKey();
    const proofs = await Promise.all(Array.from({ length: 100 }, () => createDpopProof(key, { method: 'GET', url: 'https://api.example.com/orders' })));
    const jtis = await Promise.all(proofs.map(async (proof) => (await verify(proof, key)).payload.jti));
    expect(new Set(jtis).size).toBe(100);
  });

  it('sends htu without query and fragment, normalised (scheme and host case, default port)', async () => {
    const key = await createDpopKey();
    const proof = await createDpopProof(key, { method: 'GET', url: new URL('HTTPS://API.Example.com:443/orders/../items?page=2&q=x#top') });
    expect((await verify(proof, key)).payload.htu).toBe('https://api.example.com/items');
  });

  it('carries ath, the base64url SHA-256 of the access token, for a resource request; and the nonce when known', async () => {
    const key = await createDpopKey();
    const accessToken = 'Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU';
    const proof = await createDpopProof(key, { method: 'GET', url: 'https://api.example.com/orders', accessToken, nonce: 'eyJ7S_zG.eyJH0-Z.HX4w-7v' });

    const { payload } = await verify(proof, key);
    const expected = createHash('sha256').update(accessToken, 'ascii').digest('base64url');
    expect(payload.ath).toBe(expected);
    expect(await accessTokenHash(accessToken)).toBe(expected);
    expect(payload.nonce).toBe('eyJ7S_zG.eyJH0-Z.HX4w-7v');
    // RFC 9449 §7.1's example: the token and its ath.
    expect(await accessTokenHash('Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU')).toBe('fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo');
    expect(proof).not.toContain(accessToken);
  });

  it('takes iat from the clock it is given', async () => {
    const key = await createDpopKey();
    const proof = await createDpopProof(key, { method: 'GET', url: 'https://api.example.com/', now: () => 1_700_000_000_999 });
    const payload = JSON.parse(Buffer.from(proof.split('.')[1]!, 'base64url').toString()) as { iat: number };
    expect(payload.iat).toBe(1_700_000_000);
  });

  it.each(['ES384', 'PS256', 'RS256', 'EdDSA'] as const)('signs with a %s key, and jose verifies it', async (algorithm) => {
    const key = await createDpopKey({ algorithm });
    const proof = await createDpopProof(key, { method: 'GET', url: 'https://api.example.com/' });
    expect(decodeProtectedHeader(proof).alg).toBe(algorithm);
    expect((await verify(proof, key)).payload.htm).toBe('GET');
  });

  it('refuses bad input with a TypeError naming the field, never the token', async () => {
    const key = await createDpopKey();
    const url = 'https://api.example.com/';
    await expect(createDpopProof(key, { method: 'GE T', url })).rejects.toThrow(/method must be an HTTP method/);
    await expect(createDpopProof(key, { method: 'GET', url: '/relative' })).rejects.toThrow(/absolute URL/);
    await expect(createDpopProof(key, { method: 'GET', url: 'ftp://example.com/' })).rejects.toThrow(/http\(s\) URL/);
    await expect(createDpopProof(key, { method: 'GET', url: 'https://u:p@example.com/' })).rejects.toThrow(/credentials/);
    await expect(createDpopProof(key, { method: 'GET', url, accessToken: '' })).rejects.toThrow(/accessToken must be/);
    const bad = (await createDpopProof(key, { method: 'GET', url, nonce: 'a"b' }).catch((e: unknown) => e)) as Error;
    expect(bad.message).toMatch(/nonce must be/);
    expect(bad.message).not.toContain('a"b');
  });
});
