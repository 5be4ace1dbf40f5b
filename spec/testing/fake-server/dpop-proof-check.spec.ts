// lib/testing/fake-server/dpop-proof-check.ts: the fake server verifies DPoP proofs with WebCrypto (jose
// is a devDependency, the package ships lib/testing). Its verdicts are cross-checked with jose here:
// a proof jose accepts, the fake accepts; each field tampered with, both refuse (issue 23).
import { describe, expect, it } from 'vitest';
import { checkDpopProof, thumbprint } from '../../../lib/testing/fake-server/dpop-proof-check.js';
import { createDpopProof } from '../../../lib/dpop/dpop-proof.js';
import { createDpopKey, joseVerdict, proofFor } from './dpop-fixtures.js';

const URL_ = 'https://api.example.test/api/orders';
const TOKEN = 'access-token-1';

function fakeVerdict(proof: string, change: { method?: string; url?: string; accessToken?: string; seen?: Map<string, number> } = {}) {
  return checkDpopProof(proof, { method: change.method ?? 'GET', url: change.url ?? URL_, accessToken: change.accessToken ?? TOKEN, now: Date.now(), window: 60_000, seen: change.seen ?? new Map() });
}

describe('checkDpopProof', () => {
  it('accepts what jose accepts, the library-made proofs of every algorithm family, and names the same key thumbprint', async () => {
    for (const algorithm of ['ES256', 'ES384', 'PS256', 'RS256', 'EdDSA'] as const) {
      const key = await createDpopKey({ algorithm });
      const proof = await createDpopProof(key, { method: 'GET', url: `${URL_}?page=2#top`, accessToken: TOKEN, nonce: 'n-1' });

      const [fake, jose] = await Promise.all([fakeVerdict(proof, { url: `${URL_}?page=3` }), joseVerdict(proof, { method: 'GET', url: URL_, accessToken: TOKEN })]);

      expect(jose, algorithm).toEqual({ jkt: key.thumbprint });
      expect(fake, algorithm).toMatchObject({ jkt: key.thumbprint, nonce: 'n-1' });
    }
  });

  it('computes the RFC 7638 thumbprint as jose does', async () => {
    const key = await createDpopKey();
    expect(await thumbprint(key.publicJwk)).toBe(key.thumbprint);
  });

  describe('refuses, as jose does, a proof with', () => {
    it.each([
      ['a signature by another key', async (key: Awaited<ReturnType<typeof createDpopKey>>) => proofFor(key, 'GET', URL_, { accessToken: TOKEN, signer: (await createDpopKey()).privateKey })],
      ['typ other than dpop+jwt', (key: Awaited<ReturnType<typeof createDpopKey>>) => proofFor(key, 'GET', URL_, { accessToken: TOKEN, header: { typ: 'JWT' } })],
      ['no jwk', (key: Awaited<ReturnType<typeof createDpopKey>>) => proofFor(key, 'GET', URL_, { accessToken: TOKEN, header: { jwk: undefined } })],
      ['a private key as jwk', async (key: Awaited<ReturnType<typeof createDpopKey>>) => proofFor(key, 'GET', URL_, { accessToken: TOKEN, header: { jwk: { ...key.publicJwk, d: 'AAAA' } } })],
      ['htm of another method', (key: Awaited<ReturnType<typeof createDpopKey>>) => proofFor(key, 'POST', URL_, { accessToken: TOKEN })],
      ['htu of another URL', (key: Awaited<ReturnType<typeof createDpopKey>>) => proofFor(key, 'GET', 'https://api.example.test/api/other', { accessToken: TOKEN })],
      ['iat five minutes old', (key: Awaited<ReturnType<typeof createDpopKey>>) => proofFor(key, 'GET', URL_, { accessToken: TOKEN, claims: { iat: Math.floor(Date.now() / 1000) - 300 } })],
      ['iat five minutes ahead', (key: Awaited<ReturnType<typeof createDpopKey>>) => proofFor(key, 'GET', URL_, { accessToken: TOKEN, claims: { iat: Math.floor(Date.now() / 1000) + 300 } })],
      ['no jti', (key: Awaited<ReturnType<typeof createDpopKey>>) => proofFor(key, 'GET', URL_, { accessToken: TOKEN, claims: { jti: undefined } })],
      ['ath of another token', (key: Awaited<ReturnType<typeof createDpopKey>>) => proofFor(key, 'GET', URL_, { accessToken: 'another-token' })],
      ['no ath', (key: Awaited<ReturnType<typeof createDpopKey>>) => proofFor(key, 'GET', URL_)],
    ])('%s', async (_case, make) => {
      const key = await createDpopKey();
      const proof = await make(key);

      const [fake, jose] = await Promise.all([fakeVerdict(proof), joseVerdict(proof, { method: 'GET', url: URL_, accessToken: TOKEN })]);

      expect(jose).toHaveProperty('refused');
      expect(typeof fake).toBe('string');
    });

    it('a tampered payload (the signature no longer holds)', async () => {
      const key = await createDpopKey();
      const [header, , signature] = (await proofFor(key, 'GET', URL_, { accessToken: TOKEN })).split('.');
      const forged = Buffer.from(JSON.stringify({ jti: 'x', htm: 'GET', htu: URL_, iat: Math.floor(Date.now() / 1000) })).toString('base64url');
      const proof = `${header}.${forged}.${signature}`;

      expect(await joseVerdict(proof, { method: 'GET', url: URL_ })).toHaveProperty('refused');
      expect(typeof (await fakeVerdict(proof))).toBe('string');
    });

    it('alg none', async () => {
      const key = await createDpopKey();
      const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const proof = `${b64({ alg: 'none', typ: 'dpop+jwt', jwk: key.publicJwk })}.${b64({ jti: 'x', htm: 'GET', htu: URL_, iat: Math.floor(Date.now() / 1000) })}.`;

      expect(await joseVerdict(proof, { method: 'GET', url: URL_ })).toHaveProperty('refused');
      expect(typeof (await fakeVerdict(proof))).toBe('string');
    });

    it('a jti seen before (both keep the jtis they took)', async () => {
      const key = await createDpopKey();
      const proof = await proofFor(key, 'GET', URL_, { accessToken: TOKEN });
      const fakeSeen = new Map<string, number>();
      const joseSeen = new Set<string>();

      const first = await fakeVerdict(proof, { seen: fakeSeen });
      if (typeof first !== 'string') fakeSeen.set(first.jti, first.iat);
      await joseVerdict(proof, { method: 'GET', url: URL_, accessToken: TOKEN, seen: joseSeen });

      expect(await fakeVerdict(proof, { seen: fakeSeen })).toBe('jti was used before');
      expect(await joseVerdict(proof, { method: 'GET', url: URL_, accessToken: TOKEN, seen: joseSeen })).toEqual({ refused: 'jti' });
    });
  });

  it('says what is wrong without key material', async () => {
    const key = await createDpopKey();
    const verdict = await fakeVerdict(await proofFor(key, 'GET', URL_, { accessToken: 'another-token' }));
    expect(verdict).toBe('ath is not the hash of the access token');
  });
});
