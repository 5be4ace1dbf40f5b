import { defer, switchMap } from 'rxjs';
import type { ClientAuthentication } from '../session/token-access.js';
import { sendWith, withFields } from './client-secret.js';
import { algorithmOfJwk, algorithmOfKey, importSigningKey, isJwsAlgorithm, signJws, type JwsAlgorithm } from './jws-sign.js';

/** A confidential client that authenticates with a key pair instead of a shared secret. */
export interface PrivateKeyJwtConfig {
  readonly clientId: string;
  /**
   * The private key: a WebCrypto `CryptoKey` (non-extractable is fine), or a private JWK (with
   * `d`), imported once as a non-extractable key. Never copied into an error or an event.
   */
  readonly key: CryptoKey | (JsonWebKey & { readonly kid?: string });
  /** The key's id, sent as the assertion's `kid` (how the server finds the key). @default the JWK's `kid` */
  readonly kid?: string;
  /** The JWS algorithm. @default the JWK's `alg`, else from the key: ES256/384/512 by curve, RS256, PS256 for RSA-PSS, EdDSA */
  readonly algorithm?: JwsAlgorithm;
  /**
   * The assertion's `aud`: the authorization server's issuer or token endpoint URL, as the server
   * expects (one value for every endpoint). @default the URL of the endpoint called
   */
  readonly audience?: string;
  /** How long an assertion is valid, in seconds (RFC 7523 §3: short). @default 60 */
  readonly lifetime?: number;
  /** The clock for `iat` and `exp`, epoch ms. @default Date.now */
  readonly now?: () => number;
}

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/**
 * `private_key_jwt` (RFC 7523 §2.2, OpenID Connect Core §9): each request carries a fresh
 * assertion signed with the client's private key: `iss` = `sub` = the client id, `aud` the
 * server, a unique `jti`, `iat`, a short `exp`, and `kid` in the header. Signed with WebCrypto,
 * no dependency; kept out of the bundle of an app that does not import it. Throws a TypeError
 * naming the field on bad config (a public JWK, an unsupported key, no `kid`), never the key.
 *
 * @example
 * const key = JSON.parse(process.env.CLIENT_JWK!); // a private JWK with kid
 * const refresh = oauth2RefreshGrant({ tokenUrl, clientAuthentication: privateKeyJwt({ clientId: 'billing', key }) });
 */
export function privateKeyJwt(config: PrivateKeyJwtConfig): ClientAuthentication {
  if (typeof config !== 'object' || config === null) throw new TypeError('privateKeyJwt: pass a config object with clientId and key');
  const { clientId, key, audience, lifetime = 60, now = Date.now } = config;
  const fail = (message: string): never => {
    throw new TypeError(`privateKeyJwt: ${message}`);
  };
  if (typeof clientId !== 'string' || clientId === '') fail('clientId must be a non-empty string');
  if (audience !== undefined && (typeof audience !== 'string' || audience === '')) fail('audience must be a non-empty string');
  if (typeof lifetime !== 'number' || !(lifetime > 0 && lifetime <= 600)) fail('lifetime must be a number of seconds, above 0 and at most 600');
  if (config.algorithm !== undefined && !isJwsAlgorithm(config.algorithm)) fail('algorithm must be a JWS algorithm: ES256, ES384, ES512, RS256, RS384, RS512, PS256, PS384, PS512 or EdDSA');
  let signingKey: () => Promise<CryptoKey>;
  let alg: JwsAlgorithm | undefined;
  let kid = config.kid;
  if (isCryptoKey(key)) {
    if (key.type !== 'private' || !key.usages.includes('sign')) fail('key must be a private key usable for signing');
    alg = config.algorithm ?? algorithmOfKey(key);
    signingKey = () => Promise.resolve(key);
  } else {
    if (typeof key !== 'object' || key === null || typeof key.kty !== 'string') fail('key must be a CryptoKey or a private JWK');
    if (key.d === undefined) fail('key is a public JWK: pass the private one (with d)');
    alg = config.algorithm ?? algorithmOfJwk(key);
    kid ??= key.kid;
    let imported: Promise<CryptoKey> | undefined;
    const jwk = { ...key };
    signingKey = () =>
      (imported ??= importSigningKey(jwk, alg as JwsAlgorithm).catch((cause: unknown) => {
        imported = undefined;
        throw new TypeError(`privateKeyJwt: the JWK could not be imported as a ${alg} signing key`, { cause });
      }));
  }
  if (alg === undefined) fail('the key is of no supported kind: use an EC (P-256, P-384, P-521), RSA or Ed25519 key, or name the algorithm');
  if (typeof kid !== 'string' || kid === '') fail('kid must be given (or be in the JWK): the server finds the key by it');

  // A new assertion per subscription: a retried request never replays a `jti`.
  const sign = (aud: string) =>
    signingKey().then((signer) => {
      const iat = Math.floor(now() / 1000);
      return signJws(signer, alg as JwsAlgorithm, { kid }, { iss: clientId, sub: clientId, aud, jti: crypto.randomUUID(), iat, exp: iat + lifetime });
    });
  return (request, send) =>
    defer(() => sign(audience ?? request.url)).pipe(
      switchMap((jwt) => sendWith(withFields(request, { client_assertion_type: ASSERTION_TYPE, client_assertion: jwt }), send, [jwt])),
    );
}

// Duck-typed: a CryptoKey from another realm (a worker, a test DOM) is still one.
function isCryptoKey(key: unknown): key is CryptoKey {
  return typeof key === 'object' && key !== null && 'algorithm' in key && 'usages' in key && 'type' in key;
}
