import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { jwkThumbprint, publicJwkOf } from '../../lib/dpop/jwk-thumbprint.js';

// RFC 7638 §3.1: the example RSA key and its thumbprint.
const RFC_7638_KEY = {
  kty: 'RSA',
  n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
  e: 'AQAB',
  alg: 'RS256',
  kid: '2011-04-29',
};

describe('jwkThumbprint', () => {
  it("matches RFC 7638's own example", async () => {
    expect(await jwkThumbprint(RFC_7638_KEY)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });

  it.each(['ES256', 'ES384', 'EdDSA', 'PS256'] as const)('agrees with jose for a %s key, and the private JWK gives the same thumbprint', async (alg) => {
    const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const thumbprint = await jwkThumbprint(publicJwk);
    expect(thumbprint).toBe(await calculateJwkThumbprint(publicJwk, 'sha256'));
    expect(await jwkThumbprint(await exportJWK(privateKey))).toBe(thumbprint);
  });

  it('refuses a JWK of no known type, or missing a member, naming neither value', async () => {
    await expect(jwkThumbprint({ kty: 'oct', k: 'c2VjcmV0' })).rejects.toThrow(/kty EC, RSA or OKP/);
    await expect(jwkThumbprint({ kty: 'EC', crv: 'P-256', x: 'abc' })).rejects.toThrow(/the EC JWK has no y/);
  });
});

describe('publicJwkOf', () => {
  it('keeps only the public members RFC 7638 names: never d, nor key_ops, ext or alg', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), key_ops: ['sign'], ext: true, alg: 'ES256', kid: 'k' };
    const publicJwk = publicJwkOf(jwk);
    expect(Object.keys(publicJwk)).toEqual(['crv', 'kty', 'x', 'y']);
    expect(JSON.stringify(publicJwk)).not.toContain(jwk.d!);
  });

  it('keeps n and e of an RSA key, and drops its private primes', () => {
    expect(publicJwkOf({ ...RFC_7638_KEY, d: 'x', p: 'y', q: 'z', dp: '1', dq: '2', qi: '3' })).toEqual({ e: 'AQAB', kty: 'RSA', n: RFC_7638_KEY.n });
  });
});
