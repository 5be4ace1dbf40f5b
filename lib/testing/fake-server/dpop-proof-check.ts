import { base64url, verifyJws } from '../../oauth2/jws-sign.js';

/** What one DPoP proof must match (RFC 9449 §4.3): the request it came with, and the server's state. */
export interface ProofExpectation {
  /** The request's method: the proof's `htm`. */
  readonly method: string;
  /** The request's URL: the proof's `htu` is it without query and fragment. */
  readonly url: string;
  /** The access token the request carries (a resource request): the proof's `ath` must be its hash. */
  readonly accessToken?: string;
  /** Now, epoch ms. */
  readonly now: number;
  /** How far `iat` may be from now, either way, in ms. */
  readonly window: number;
  /** The `jti`s taken: a proof is good once. */
  readonly seen: ReadonlyMap<string, number>;
}

/** A proof that holds: its key's thumbprint (`jkt`), `jti`, `iat` and `nonce`. */
export interface CheckedProof {
  readonly jkt: string;
  readonly jti: string;
  readonly iat: number;
  readonly nonce: string | undefined;
}

/**
 * Checks a DPoP proof (RFC 9449 §4.3): one JWS with `typ: dpop+jwt`, an asymmetric `alg`, a public
 * `jwk` in its header that verifies its signature (the one JWS verifier the fake has, `verifyJws`),
 * `htm` and `htu` of this request, `iat` inside the window, a `jti` not seen, and `ath` of the access
 * token when there is one. Answers the proof, or what is wrong with it (a description for
 * `invalid_dpop_proof`, never key material). The nonce is the caller's to check. Never throws.
 */
export async function checkDpopProof(proof: string, expected: ProofExpectation): Promise<CheckedProof | string> {
  const jwk = headerOf(proof)?.jwk;
  if (typeof jwk !== 'object' || jwk === null) return 'the proof has no jwk header';
  if ('d' in jwk) return 'the jwk header holds a private key';
  const verified = await verifyJws(proof, jwk as JsonWebKey);
  if (!verified) return 'the proof is not a JWS signed by its jwk';
  const { header, payload } = verified;
  if (header.typ !== 'dpop+jwt') return 'typ is not dpop+jwt';
  const { jti, htm, htu, iat, ath, nonce } = payload;
  if (typeof jti !== 'string' || jti === '') return 'jti is missing';
  if (expected.seen.has(jti)) return 'jti was used before';
  if (htm !== expected.method) return 'htm is not the request method';
  if (typeof htu !== 'string' || targetUri(htu) !== targetUri(expected.url)) return 'htu is not the request URL';
  if (typeof iat !== 'number' || Math.abs(iat * 1000 - expected.now) > expected.window) return 'iat is outside the accepted window';
  if (expected.accessToken !== undefined && ath !== (await sha256(expected.accessToken))) return 'ath is not the hash of the access token';
  if (nonce !== undefined && typeof nonce !== 'string') return 'nonce is not a string';
  return { jkt: await thumbprint(jwk as JsonWebKey), jti, iat, nonce };
}

/** RFC 7638: the SHA-256 thumbprint of a public JWK, the `jkt` a bound token carries in `cnf.jkt`. */
export async function thumbprint(jwk: JsonWebKey): Promise<string> {
  const members = { EC: ['crv', 'kty', 'x', 'y'], RSA: ['e', 'kty', 'n'], OKP: ['crv', 'kty', 'x'] }[jwk.kty ?? ''] ?? ['kty'];
  const canonical = JSON.stringify(Object.fromEntries(members.map((m) => [m, (jwk as Record<string, unknown>)[m]])));
  return sha256(canonical);
}

async function sha256(text: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))));
}

// RFC 9449 §4.3 item 9: compared without query and fragment; WHATWG URL normalises the rest.
function targetUri(url: string): string | undefined {
  if (!URL.canParse(url)) return undefined;
  const parsed = new URL(url);
  parsed.search = '';
  parsed.hash = '';
  return parsed.href;
}

function headerOf(jws: string): { jwk?: unknown } | undefined {
  try {
    const segment = (jws.split('.')[0] ?? '').replace(/-/g, '+').replace(/_/g, '/');
    const header: unknown = JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(segment), (c) => c.charCodeAt(0))));
    return typeof header === 'object' && header !== null ? header : undefined;
  } catch {
    return undefined;
  }
}
