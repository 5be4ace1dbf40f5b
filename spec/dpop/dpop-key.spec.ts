import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { chooseDpopAlgorithm, createDpopKey, dpopKeyOfPair, importDpopKey } from '../../lib/dpop/dpop-key.js';

const PUBLIC_MEMBERS = { EC: ['crv', 'kty', 'x', 'y'], RSA: ['e', 'kty', 'n'], OKP: ['crv', 'kty', 'x'] } as const;

describe('chooseDpopAlgorithm', () => {
  it("takes ES256 when the server lists it or lists nothing, else the server's first that we sign with", () => {
    expect(chooseDpopAlgorithm()).toBe('ES256');
    expect(chooseDpopAlgorithm(['PS256', 'ES256'])).toBe('ES256');
    expect(chooseDpopAlgorithm(['HS256', 'PS256', 'EdDSA'])).toBe('PS256');
    expect(() => chooseDpopAlgorithm(['HS256', 'none'])).toThrow(/supports none of the algorithms/);
  });
});

describe('createDpopKey', () => {
  it('makes an ES256 key pair by default whose private key cannot be exported', async () => {
    const key = await createDpopKey();

    expect(key.algorithm).toBe('ES256');
    expect(key.privateKey.extractable).toBe(false);
    await expect(crypto.subtle.exportKey('jwk', key.privateKey)).rejects.toThrow();
    expect(Object.keys(key.publicJwk)).toEqual(['crv', 'kty', 'x', 'y']);
    expect(key.publicJwk).toMatchObject({ kty: 'EC', crv: 'P-256' });
    expect(key.thumbprint).toBe(await calculateJwkThumbprint(key.publicJwk as never, 'sha256'));
  });

  it.each(['ES384', 'ES512', 'RS256', 'PS256', 'EdDSA'] as const)('makes a %s key on request, non-extractable too', async (algorithm) => {
    const key = await createDpopKey({ algorithm });
    expect(key.algorithm).toBe(algorithm);
    expect(key.privateKey.extractable).toBe(false);
    expect(Object.keys(key.publicJwk)).toEqual(PUBLIC_MEMBERS[key.publicJwk.kty as keyof typeof PUBLIC_MEMBERS]);
  });

  it('makes a new key each time', async () => {
    const [a, b] = await Promise.all([createDpopKey(), createDpopKey()]);
    expect(a.thumbprint).not.toBe(b.thumbprint);
  });

  it('refuses an algorithm it cannot sign with', async () => {
    await expect(createDpopKey({ algorithm: 'HS256' as never })).rejects.toThrow(TypeError);
  });
});

describe('importDpopKey', () => {
  it('imports a private JWK (a fleet shares one) as a NON-extractable key with the same thumbprint in every process', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = await exportJWK(privateKey);
    const [one, two] = await Promise.all([importDpopKey(jwk), importDpopKey({ ...jwk })]);

    expect(one.algorithm).toBe('ES256');
    expect(one.privateKey.extractable).toBe(false);
    expect(one.thumbprint).toBe(await calculateJwkThumbprint(await exportJWK(publicKey), 'sha256'));
    expect(two.thumbprint).toBe(one.thumbprint);
    expect(JSON.stringify(one.publicJwk)).not.toContain(jwk.d!);
  });

  it("takes the algorithm from the JWK's alg, or from its kind", async () => {
    const rsa = await exportJWK((await generateKeyPair('PS256', { extractable: true })).privateKey);
    expect((await importDpopKey({ ...rsa, alg: 'PS256' })).algorithm).toBe('PS256');
    expect((await importDpopKey(rsa)).algorithm).toBe('RS256');
    const ed = await exportJWK((await generateKeyPair('EdDSA', { extractable: true })).privateKey);
    expect((await importDpopKey(ed)).algorithm).toBe('EdDSA');
  });

  it('takes a CryptoKeyPair the app made (non-extractable private key and all)', async () => {
    const pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, false, ['sign', 'verify'])) as CryptoKeyPair;
    const key = await importDpopKey(pair);
    expect(key.algorithm).toBe('ES384');
    expect(key.privateKey).toBe(pair.privateKey);
  });

  it('refuses what is not a usable private key with a TypeError that names no key material', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = await exportJWK(privateKey);
    const { d: _d, ...publicOnly } = jwk;

    await expect(importDpopKey(publicOnly)).rejects.toThrow(/the JWK is public/);
    await expect(importDpopKey({ kty: 'oct', k: 'c2VjcmV0', d: 'x' } as JsonWebKey)).rejects.toThrow(/no supported kind/);
    await expect(importDpopKey(null as never)).rejects.toThrow(/CryptoKeyPair or a private JWK/);
    await expect(importDpopKey(jwk, { algorithm: 'HS256' as never })).rejects.toThrow(/algorithm must be one of/);
    const broken = (await importDpopKey({ ...jwk, d: 'AAAA' }).catch((e: unknown) => e)) as Error;
    expect(broken).toBeInstanceOf(TypeError);
    expect(`${broken.message} ${String(broken.cause)}`).not.toContain(jwk.d!);
  });

  it('refuses a key pair whose halves do not belong together, or are not of the algorithm named', async () => {
    const a = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])) as CryptoKeyPair;
    const b = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])) as CryptoKeyPair;
    await expect(importDpopKey({ privateKey: a.privateKey, publicKey: b.publicKey })).rejects.toThrow(/do not belong together/);
    await expect(importDpopKey(a, { algorithm: 'ES384' })).rejects.toThrow(/not one ES384 key pair/);
    await expect(importDpopKey({ privateKey: a.publicKey, publicKey: a.publicKey })).rejects.toThrow(/privateKey must be a private CryptoKey/);
  });

  it('refuses a pair whose public key cannot be exported (its JWK goes in every proof)', async () => {
    const pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])) as CryptoKeyPair;
    const jwk = await crypto.subtle.exportKey('jwk', pair.publicKey);
    const hidden = await crypto.subtle.importKey('jwk', jwk, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
    await expect(dpopKeyOfPair({ privateKey: pair.privateKey, publicKey: hidden }, 'ES256')).rejects.toThrow(/public key must be exportable/);
  });
});
