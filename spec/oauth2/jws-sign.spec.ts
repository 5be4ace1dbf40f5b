import { CompactSign, compactVerify, decodeProtectedHeader, exportJWK, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { algorithmOfJwk, algorithmOfKey, importSigningKey, signJws, verifyJws, type JwsAlgorithm } from '../../lib/oauth2/jws-sign.js';

// Our signer's output checked by jose, an independent JWS implementation.
describe('signJws', () => {
  it.each(['ES256', 'ES384', 'ES512', 'RS256', 'PS256', 'EdDSA'] as const)('signs with %s what jose verifies, and names the key it used', async (alg: JwsAlgorithm) => {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: false });

    expect(algorithmOfKey(privateKey as CryptoKey)).toBe(alg);
    const jws = await signJws(privateKey as CryptoKey, alg, { kid: 'k1' }, { iss: 'c', n: 'ü' });
    const { payload, protectedHeader } = await compactVerify(jws, publicKey);

    expect(protectedHeader).toEqual({ kid: 'k1', alg });
    expect(JSON.parse(new TextDecoder().decode(payload))).toEqual({ iss: 'c', n: 'ü' });
    expect(jws).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it('imports a private JWK once as a non-extractable key, whatever its alg, key_ops and use said', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), alg: 'ES256', use: 'sig', key_ops: ['sign'] };

    const key = await importSigningKey(jwk, 'ES256');
    expect(key.extractable).toBe(false);
    const jws = await signJws(key, 'ES256', {}, { a: 1 });
    await expect(compactVerify(jws, publicKey)).resolves.toBeTruthy();
    expect(decodeProtectedHeader(jws)).toEqual({ alg: 'ES256' });
  });
});

describe('algorithmOfJwk', () => {
  it.each([
    [{ kty: 'EC', crv: 'P-256' }, 'ES256'],
    [{ kty: 'EC', crv: 'P-521' }, 'ES512'],
    [{ kty: 'EC', crv: 'secp256k1' }, undefined],
    [{ kty: 'RSA' }, 'RS256'],
    [{ kty: 'RSA', alg: 'PS384' }, 'PS384'],
    [{ kty: 'RSA', alg: 'HS256' }, undefined],
    [{ kty: 'OKP', crv: 'Ed25519' }, 'EdDSA'],
    [{ kty: 'OKP', crv: 'X25519' }, undefined],
    [{ kty: 'oct' }, undefined],
  ])('reads %j as %s', (jwk, alg) => {
    expect(algorithmOfJwk(jwk as JsonWebKey)).toBe(alg);
  });
});

// The fake authorization server's check (rx-token-http/testing), against jose's signatures.
describe('verifyJws', () => {
  it.each(['ES256', 'RS256', 'PS256', 'EdDSA'] as const)('verifies what jose signs with %s, and decodes it', async (alg) => {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify({ iss: 'c', n: 'ü' }))).setProtectedHeader({ alg, kid: 'k1' }).sign(privateKey);

    await expect(verifyJws(jws, await exportJWK(publicKey))).resolves.toEqual({ header: { alg, kid: 'k1' }, payload: { iss: 'c', n: 'ü' } });
  });

  it('refuses another key, a changed payload and garbage, without throwing', async () => {
    const [signer, other] = await Promise.all([generateKeyPair('ES256', { extractable: true }), generateKeyPair('ES256', { extractable: true })]);
    const jws = await signJws(signer.privateKey as CryptoKey, 'ES256', {}, { a: 1 });
    const [header, , signature] = jws.split('.');
    const changed = `${header}.${Buffer.from('{"a":2}').toString('base64url')}.${signature}`;

    await expect(verifyJws(jws, await exportJWK(signer.publicKey))).resolves.toBeDefined();
    await expect(verifyJws(jws, await exportJWK(other.publicKey))).resolves.toBeUndefined();
    await expect(verifyJws(changed, await exportJWK(signer.publicKey))).resolves.toBeUndefined();
    for (const garbage of ['', 'a.b', 'a.b.c.d', '%%%.e30.AA']) await expect(verifyJws(garbage, await exportJWK(signer.publicKey))).resolves.toBeUndefined();
  });
});
