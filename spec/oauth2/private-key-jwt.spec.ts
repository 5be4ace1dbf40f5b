import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { exportJWK, generateKeyPair, jwtVerify, type JWK } from 'jose';
import { lastValueFrom, repeat } from 'rxjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { TYPICAL_IMPORT } from '../../bench/bundle-budget.js';
import { privateKeyJwt } from '../../lib/oauth2/private-key-jwt.js';
import { formOf, formRequest, recordingTransport } from './auth-fixtures.js';

const clientId = 'svc-billing';
const tokenUrl = 'https://auth.example.test/token';
let privateKey: CryptoKey;
let publicKey: CryptoKey;
let jwk: JWK;

beforeAll(async () => {
  ({ privateKey, publicKey } = (await generateKeyPair('ES256', { extractable: true })) as CryptoKeyPair);
  jwk = { ...(await exportJWK(privateKey)), kid: 'key-2026' };
});

async function assertionsOf(auth: ReturnType<typeof privateKeyJwt>, times = 1, url = tokenUrl) {
  const { send, sent } = recordingTransport();
  await lastValueFrom(auth(formRequest({ grant_type: 'client_credentials' }, url), send).pipe(repeat(times)));
  return sent.map(formOf);
}

describe('privateKeyJwt', () => {
  it('adds an RFC 7523 §2.2 assertion jose verifies: iss = sub = client id, aud the endpoint, unique jti, short exp, kid', async () => {
    const [form] = await assertionsOf(privateKeyJwt({ clientId, key: jwk }));

    expect(form).toMatchObject({ grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' });
    const { payload, protectedHeader } = await jwtVerify(form!.client_assertion!, publicKey, { issuer: clientId, subject: clientId, audience: tokenUrl });
    expect(protectedHeader).toEqual({ alg: 'ES256', kid: 'key-2026' });
    expect(payload.exp! - payload.iat!).toBe(60);
    expect(Math.abs(payload.iat! - Date.now() / 1000)).toBeLessThan(5);
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(form).not.toHaveProperty('client_secret');
  });

  it('signs a new assertion for every request and every resubscription: no jti is sent twice', async () => {
    const auth = privateKeyJwt({ clientId, key: privateKey, kid: 'key-2026' });
    const forms = [...(await assertionsOf(auth, 3)), ...(await assertionsOf(auth))];

    const jtis = await Promise.all(forms.map(async (f) => (await jwtVerify(f.client_assertion!, publicKey)).payload.jti));
    expect(new Set(jtis).size).toBe(4);
  });

  it('uses the configured audience (the issuer) and lifetime, and the injected clock', async () => {
    const [form] = await assertionsOf(privateKeyJwt({ clientId, key: jwk, audience: 'https://auth.example.test', lifetime: 30, now: () => 1_700_000_000_500 }), 1, `${tokenUrl}/revocation`);

    const { payload } = await jwtVerify(form!.client_assertion!, publicKey, { audience: 'https://auth.example.test', currentDate: new Date(1_700_000_001_000) });
    expect(payload).toMatchObject({ iat: 1_700_000_000, exp: 1_700_000_030 });
  });

  it('works with a non-extractable CryptoKey', async () => {
    const { privateKey: sealed, publicKey: open } = (await generateKeyPair('PS256', { extractable: false })) as CryptoKeyPair;
    const [form] = await assertionsOf(privateKeyJwt({ clientId, key: sealed, kid: 'rsa-1' }));

    await expect(jwtVerify(form!.client_assertion!, open)).resolves.toMatchObject({ protectedHeader: { alg: 'PS256', kid: 'rsa-1' } });
  });

  it('takes the assertion out of a failing answer that echoes the form', async () => {
    const auth = privateKeyJwt({ clientId, key: jwk });
    const { send, sent } = recordingTransport(400, (request: { body: unknown }) => `you sent ${String(request.body)}`);
    const response = await lastValueFrom(auth(formRequest({ grant_type: 'client_credentials' }), send));

    expect(sent).toHaveLength(1);
    expect(String(response.body)).toContain('client_assertion=***');
    expect(String(response.body)).not.toContain(formOf(sent[0]).client_assertion!.slice(0, 40));
  });

  describe('with a bad config', () => {
    it.each([
      ['no config', null, 'pass a config object with clientId and key'],
      ['no clientId', { key: 'jwk' }, 'clientId must be a non-empty string'],
      ['a public JWK', 'public', 'key is a public JWK: pass the private one (with d)'],
      ['no key', { clientId }, 'key must be a CryptoKey or a private JWK'],
      ['a JWK without kid', 'no-kid', 'kid must be given (or be in the JWK)'],
      ['an unsupported curve', { clientId, key: { kty: 'EC', crv: 'secp256k1', d: 'x', kid: 'k' } }, 'the key is of no supported kind'],
      ['an unknown algorithm', { clientId, key: 'jwk', algorithm: 'HS256' }, 'algorithm must be a JWS algorithm'],
      ['a lifetime of an hour', { clientId, key: 'jwk', lifetime: 3600 }, 'lifetime must be a number of seconds'],
      ['an empty audience', { clientId, key: 'jwk', audience: '' }, 'audience must be a non-empty string'],
    ])('throws a TypeError at once for %s, naming the field and never the key', (_case, config, message) => {
      const { d: _d, ...publicJwk } = jwk;
      const { kid: _kid, ...noKid } = jwk;
      const given = config as Record<string, unknown> | string | null;
      const resolved =
        given === 'public' ? { clientId, key: publicJwk } : given === 'no-kid' ? { clientId, key: noKid } : typeof given === 'object' && given !== null ? { ...given, key: given.key === 'jwk' ? jwk : given.key } : given;
      const call = () => privateKeyJwt(resolved as never);

      expect(call).toThrow(TypeError);
      expect(call).toThrow(`privateKeyJwt: ${message}`);
      try {
        call();
      } catch (error) {
        for (const part of [jwk.d!, jwk.x!]) expect((error as Error).message).not.toContain(part);
      }
    });

    it('rejects a public CryptoKey', () => {
      expect(() => privateKeyJwt({ clientId, key: publicKey, kid: 'k' })).toThrow('privateKeyJwt: key must be a private key usable for signing');
    });

    it('fails the request with a TypeError, quoting no key, when the JWK cannot be imported', async () => {
      const broken = { ...jwk, d: 'AAAA' };
      const { send, sent } = recordingTransport();
      const error = await lastValueFrom(privateKeyJwt({ clientId, key: broken })(formRequest({}), send)).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toBe('privateKeyJwt: the JWK could not be imported as a ES256 signing key');
      expect(sent).toHaveLength(0);
    });
  });
});

describe('what a bundle holds', () => {
  it('leaves the client authentication methods and the JWS signer out of the typical import; privateKeyJwt brings the signer in', async () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const files = async (contents: string) => {
      const result = await build({ stdin: { contents, resolveDir: root, loader: 'ts' }, bundle: true, minify: true, write: false, format: 'esm', external: ['rxjs'], metafile: true, logLevel: 'silent', absWorkingDir: root });
      const inputs = Object.values(result.metafile.outputs)[0]?.inputs ?? {};
      return Object.entries(inputs).filter(([, input]) => input.bytesInOutput > 0).map(([file]) => file);
    };
    const optional = ['lib/oauth2/private-key-jwt.ts', 'lib/oauth2/jws-sign.ts', 'lib/oauth2/client-secret.ts'];

    expect((await files(TYPICAL_IMPORT)).filter((file) => optional.includes(file))).toEqual([]);
    expect(await files("export { oauth2RefreshGrant, privateKeyJwt } from './lib/index.ts';")).toEqual(expect.arrayContaining(optional));
  });
});
