import { ALGORITHMS, algorithmOfJwk, algorithmOfKey, importSigningKey, isJwsAlgorithm, type JwsAlgorithm } from '../oauth2/jws-sign.js';
import { jwkThumbprint, publicJwkOf } from './jwk-thumbprint.js';

/**
 * The key pair a DPoP client proves possession of (RFC 9449): its private half signs every proof
 * and never leaves it; its public half travels in each proof's `jwk` header; its thumbprint is
 * the `jkt` the server binds the tokens to (`cnf.jkt`).
 */
export interface DpopKey {
  /** The JWS algorithm of the proofs, e.g. `ES256`. */
  readonly algorithm: JwsAlgorithm;
  /** The private key: non-extractable when this package made or imported it. */
  readonly privateKey: CryptoKey;
  /** The public key as a JWK, with only the members RFC 7638 names (no `d`, ever). */
  readonly publicJwk: JsonWebKey;
  /** The RFC 7638 SHA-256 thumbprint of `publicJwk`, base64url: the tokens' `cnf.jkt`. */
  readonly thumbprint: string;
}

/** Which algorithm a new key is made for. */
export interface DpopKeyOptions {
  /** The JWS algorithm. @default 'ES256', or for a supplied key the one its kind implies */
  readonly algorithm?: JwsAlgorithm;
}

/**
 * The algorithm to make a key for, from the server's `dpop_signing_alg_values_supported`
 * (RFC 9449 §5.1): ES256 when the server lists it or lists nothing, else the first listed that
 * this package signs with. Throws a TypeError when none is.
 */
export function chooseDpopAlgorithm(supported?: readonly string[]): JwsAlgorithm {
  if (supported === undefined || supported.includes('ES256')) return 'ES256';
  const usable = supported.find(isJwsAlgorithm);
  if (usable === undefined) throw new TypeError(`chooseDpopAlgorithm: the server supports none of the algorithms this package signs with (${Object.keys(ALGORITHMS).join(', ')})`);
  return usable;
}

/**
 * Makes a new DPoP key pair with WebCrypto; the private key is NON-extractable: no code, this
 * package's included, can read it out, only sign with it.
 *
 * @example
 * const key = await createDpopKey(); // ES256
 * const rsa = await createDpopKey({ algorithm: 'PS256' });
 */
export async function createDpopKey(options: DpopKeyOptions = {}): Promise<DpopKey> {
  const algorithm = options.algorithm ?? 'ES256';
  if (!isJwsAlgorithm(algorithm)) throw new TypeError(`createDpopKey: algorithm must be one of ${Object.keys(ALGORITHMS).join(', ')}`);
  return dpopKeyOfPair(await generateKeyPair(algorithm), algorithm);
}

/** A new WebCrypto key pair for `algorithm`, the private key non-extractable (RSA: 2048 bits). */
export async function generateKeyPair(algorithm: JwsAlgorithm): Promise<CryptoKeyPair> {
  const params = ALGORITHMS[algorithm];
  const generate = params.name.startsWith('RSA') ? { ...params, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) } : params;
  return (await crypto.subtle.generateKey(generate, false, ['sign', 'verify'])) as CryptoKeyPair;
}

/**
 * A DPoP key from one the app supplies, for processes that must share one key (a fleet): a
 * WebCrypto `CryptoKeyPair` (its public key must be exportable, as generated public keys are),
 * or a private JWK (with `d`), imported once as a NON-extractable key. The pair is checked once
 * (a signature made and verified), so a private and public key that do not belong together are
 * refused here rather than by the server. Throws a TypeError naming what is wrong, never the key.
 *
 * @example
 * const key = await importDpopKey(JSON.parse(process.env.DPOP_JWK!)); // the fleet's one key
 */
export async function importDpopKey(key: CryptoKeyPair | JsonWebKey, options: DpopKeyOptions = {}): Promise<DpopKey> {
  if (typeof key !== 'object' || key === null) throw new TypeError('importDpopKey: pass a CryptoKeyPair or a private JWK');
  if (options.algorithm !== undefined && !isJwsAlgorithm(options.algorithm)) throw new TypeError(`importDpopKey: algorithm must be one of ${Object.keys(ALGORITHMS).join(', ')}`);
  if ('privateKey' in key) {
    const algorithm = options.algorithm ?? (isCryptoKey(key.privateKey) ? algorithmOfKey(key.privateKey) : undefined);
    if (algorithm === undefined) throw new TypeError('importDpopKey: the key pair is of no supported kind (EC P-256/384/521, RSA, RSA-PSS or Ed25519)');
    return dpopKeyOfPair(key, algorithm);
  }
  if (typeof key.kty !== 'string') throw new TypeError('importDpopKey: pass a CryptoKeyPair or a private JWK');
  if (key.d === undefined) throw new TypeError('importDpopKey: the JWK is public: pass the private one (with d)');
  const algorithm = options.algorithm ?? algorithmOfJwk(key);
  if (algorithm === undefined) throw new TypeError('importDpopKey: the JWK is of no supported kind: use an EC (P-256, P-384, P-521), RSA or Ed25519 key, or name the algorithm');
  const publicJwk = publicJwkOf(key);
  const [privateKey, publicKey] = await Promise.all([
    importSigningKey(key, algorithm),
    crypto.subtle.importKey('jwk', publicJwk, ALGORITHMS[algorithm], true, ['verify']),
  ]).catch((cause: unknown) => {
    throw new TypeError(`importDpopKey: the JWK could not be imported as a ${algorithm} key`, { cause });
  });
  return dpopKeyOfPair({ privateKey, publicKey }, algorithm);
}

/**
 * The DPoP key of a WebCrypto key pair signing with `algorithm`, checked: a private signing key,
 * an exportable public key, and the two belonging together. (Also how a key read back from a
 * key store is made whole again.)
 */
export async function dpopKeyOfPair(pair: CryptoKeyPair, algorithm: JwsAlgorithm): Promise<DpopKey> {
  const { privateKey, publicKey } = pair;
  if (!isCryptoKey(privateKey) || privateKey.type !== 'private' || !privateKey.usages.includes('sign')) throw new TypeError('DPoP key: privateKey must be a private CryptoKey usable for signing');
  if (!isCryptoKey(publicKey) || publicKey.type !== 'public') throw new TypeError('DPoP key: publicKey must be a public CryptoKey');
  if (!publicKey.extractable) throw new TypeError('DPoP key: the public key must be exportable (its JWK goes in every proof)');
  // WebCrypto would sign ES256 with a P-384 key, or take an RSA key's own hash over the one named:
  // the key must be exactly of the algorithm the proofs will name.
  if (algorithmOfKey(privateKey) !== algorithm || algorithmOfKey(publicKey) !== algorithm) {
    throw new TypeError(`DPoP key: the private and public keys are not one ${algorithm} key pair`);
  }
  const publicJwk = publicJwkOf(await crypto.subtle.exportKey('jwk', publicKey));
  const params = ALGORITHMS[algorithm];
  const probe = new TextEncoder().encode('rx-token-http dpop key check');
  const verifier = await crypto.subtle.importKey('jwk', publicJwk, params, false, ['verify']);
  const signed = await crypto.subtle.sign(params, privateKey, probe).catch((cause: unknown) => {
    throw new TypeError(`DPoP key: the private key cannot sign with ${algorithm}`, { cause });
  });
  if (!(await crypto.subtle.verify(params, verifier, signed, probe))) throw new TypeError('DPoP key: the private and public keys do not belong together');
  return { algorithm, privateKey, publicJwk, thumbprint: await jwkThumbprint(publicJwk) };
}

// Duck-typed: a CryptoKey from another realm (a worker, a test DOM) is still one.
function isCryptoKey(key: unknown): key is CryptoKey {
  return typeof key === 'object' && key !== null && 'algorithm' in key && 'usages' in key && 'type' in key;
}
