import type { HeadersLike } from './dpop-nonces.js';

/** What {@link isNonceChallenge} reads of an answer (a Fetch `Response` is one, for a resource server's). */
export interface AnswerLike {
  readonly status: number;
  readonly headers: HeadersLike;
  /** The `error` of a token endpoint's JSON body (RFC 6749 §5.2), which the caller parsed. */
  readonly oauthError?: string | undefined;
}

/**
 * Whether an answer is a DPoP nonce challenge (RFC 9449 §8, §9): "send the request once more,
 * with a proof carrying the nonce in my `DPoP-Nonce` header". Either a token endpoint's 400 with
 * `error: "use_dpop_nonce"` (pass it as `oauthError`), or a resource server's 401 whose
 * `WWW-Authenticate` has a `DPoP` challenge with `error="use_dpop_nonce"`. Never a token
 * rejection (rule 14): the token is fine, the proof lacked a fresh nonce. Retry once per request,
 * and only with a nonce newer than the proof had; a second challenge in a row is an error.
 *
 * @example
 * const key = await createDpopKey();
 * const nonces = createDpopNonces();
 * const send = async () => {
 *   const proof = await createDpopProof(key, { method: 'GET', url, accessToken, nonce: nonces.nonceFor('resource', url) });
 *   const answer = await fetch(url, { headers: { authorization: `DPoP ${accessToken}`, dpop: proof } });
 *   nonces.learn('resource', url, answer.headers);
 *   return answer;
 * };
 * const first = await send();
 * const answer = isNonceChallenge(first) ? await send() : first; // once; never a refresh
 */
export function isNonceChallenge(answer: AnswerLike): boolean {
  return saysDpopError(answer, 'use_dpop_nonce');
}

/**
 * Whether an answer refuses the DPoP proof itself (RFC 9449 §5, §7.1): a token endpoint's 400
 * with `error: "invalid_dpop_proof"` (pass it as `oauthError`), or a resource server's 401 whose
 * `WWW-Authenticate` has a `DPoP` challenge with `error="invalid_dpop_proof"`. A configuration
 * problem (a clock far from the server's, a URL a proxy rewrites, an algorithm it does not take):
 * never a token rejection, never a refresh, and not sent again (docs/dpop.md).
 *
 * @example
 * const key = await createDpopKey();
 * const proof = await createDpopProof(key, { method: 'GET', url, accessToken });
 * const answer = await fetch(url, { headers: { authorization: `DPoP ${accessToken}`, dpop: proof } });
 * if (isProofRefusal(answer)) throw new Error('the resource server refused our DPoP proof: check the clock');
 */
export function isProofRefusal(answer: AnswerLike): boolean {
  return saysDpopError(answer, 'invalid_dpop_proof');
}

// A token endpoint's 400 with the code in its JSON body, or a resource server's 401 with the code
// in a DPoP challenge of its WWW-Authenticate.
function saysDpopError(answer: AnswerLike, code: string): boolean {
  if (answer.status === 400) return answer.oauthError === code;
  if (answer.status !== 401) return false;
  const header = answer.headers.get('www-authenticate');
  return header !== null && challenges(header).some((c) => c.scheme === 'dpop' && c.params.get('error') === code);
}

interface Challenge {
  /** Lower-cased. */
  readonly scheme: string;
  /** Parameter names lower-cased; quoted values unquoted. */
  readonly params: Map<string, string>;
}

const TOKEN = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]+";
// One element of the header: `name = value` (a parameter), or a token alone (a scheme), or a
// token68 after a scheme. RFC 9110 §11.6.1: `WWW-Authenticate: Bearer realm="x", DPoP error="…"`
// is two challenges; a scheme is a token not followed by `=`.
const ELEMENT = new RegExp(`\\s*,?\\s*(?:(${TOKEN})\\s*=\\s*("(?:[^"\\\\]|\\\\.)*"|${TOKEN})|(${TOKEN}=*))`, 'y');

/** The challenges of a `WWW-Authenticate` value (RFC 9110 §11.6.1), leniently: what cannot be read is skipped. */
function challenges(header: string): Challenge[] {
  const found: Challenge[] = [];
  ELEMENT.lastIndex = 0;
  let current: Challenge | undefined;
  for (let match = ELEMENT.exec(header); match !== null && match[0] !== ''; match = ELEMENT.exec(header)) {
    const [, name, value, bare] = match;
    if (name !== undefined && value !== undefined) {
      current?.params.set(name.toLowerCase(), value.startsWith('"') ? value.slice(1, -1).replace(/\\(.)/g, '$1') : value);
    } else if (bare !== undefined && !bare.includes('=')) {
      current = { scheme: bare.toLowerCase(), params: new Map() };
      found.push(current);
    }
  }
  return found;
}
