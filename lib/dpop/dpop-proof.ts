import { base64url, signJws } from '../oauth2/jws-sign.js';
import type { DpopKey } from './dpop-key.js';

/** What one proof is for: one attempt of one request (RFC 9449 §4.2). */
export interface DpopProofRequest {
  /** The request's method, e.g. `POST` (the proof's `htm`). */
  readonly method: string;
  /** The request's absolute URL; the proof's `htu` is it without query and fragment. */
  readonly url: string | URL;
  /** The access token the request carries (a resource request): the proof gets its hash, `ath`. Not for the token endpoint. */
  readonly accessToken?: string;
  /** The server's latest nonce for this URL's origin (`DPoP-Nonce`), when one is known. */
  readonly nonce?: string;
  /** The clock for `iat`, epoch ms. @default Date.now */
  readonly now?: () => number;
}

const METHOD = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const NONCE = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * A fresh DPoP proof (RFC 9449 §4): a JWT signed with the key, header `typ: dpop+jwt`, `alg` and
 * the public `jwk`; claims `jti` (unique per call), `htm`, `htu` (the URL without query and
 * fragment), `iat`, and `ath` (base64url SHA-256 of the access token) and `nonce` when given.
 * Make one per attempt: a server may refuse a `jti` it has seen. Throws a TypeError naming the
 * field on bad input, never a token.
 *
 * @example
 * const key = await createDpopKey();
 * const proof = await createDpopProof(key, { method: 'GET', url: 'https://api.example.com/orders?page=2', accessToken });
 * fetch('https://api.example.com/orders?page=2', { headers: { authorization: `DPoP ${accessToken}`, dpop: proof } });
 */
export async function createDpopProof(key: DpopKey, request: DpopProofRequest): Promise<string> {
  const { method, accessToken, nonce, now = Date.now } = request;
  if (typeof method !== 'string' || !METHOD.test(method)) throw new TypeError('createDpopProof: method must be an HTTP method');
  const htu = proofUrl(request.url);
  if (accessToken !== undefined && (typeof accessToken !== 'string' || accessToken === '')) throw new TypeError('createDpopProof: accessToken must be a non-empty string');
  if (nonce !== undefined && (typeof nonce !== 'string' || !NONCE.test(nonce))) throw new TypeError('createDpopProof: nonce must be a nonce as RFC 9449 §8.1 defines it (visible ASCII, no quote or backslash)');
  const claims: Record<string, unknown> = { jti: crypto.randomUUID(), htm: method, htu, iat: Math.floor(now() / 1000) };
  if (accessToken !== undefined) claims['ath'] = await accessTokenHash(accessToken);
  if (nonce !== undefined) claims['nonce'] = nonce;
  return signJws(key.privateKey, key.algorithm, { typ: 'dpop+jwt', jwk: key.publicJwk }, claims);
}

/** `ath` (RFC 9449 §4.2): the base64url SHA-256 of the access token's ASCII bytes. */
export async function accessTokenHash(accessToken: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(accessToken))));
}

// RFC 9449 §4.2: htu is the target URI without query and fragment; WHATWG URL normalises the
// rest (scheme and host case, default port, dot segments), as §4.3's comparison does.
function proofUrl(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError('createDpopProof: url must be an absolute URL');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new TypeError('createDpopProof: url must be an http(s) URL');
  if (parsed.username !== '' || parsed.password !== '') throw new TypeError('createDpopProof: url must not carry credentials');
  parsed.search = '';
  parsed.hash = '';
  return parsed.href;
}
