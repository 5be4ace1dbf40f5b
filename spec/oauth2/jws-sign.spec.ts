import { compactVerify, decodeProtectedHeader, exportJWK, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { algorithmOfJwk, algorithmOfKey, importSigningKey, signJws, type JwsAlgorithm } from '../../lib/oauth2/jws-sign.js';

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
