import { checkDpopProof } from './dpop-proof-check.js';
import type { ResolvedConfig } from './fake-server-config.js';
import type { MutableStats } from './fake-server-stats.js';
import { randomToken } from './random-token.js';
import { json, oauthError } from './responses.js';

/** The DPoP part of the fake: its nonces, the `jti`s it took, and its verdicts on proofs. */
export interface DpopGuard {
  /** Whether token requests must carry a proof. */
  readonly required: boolean;
  /**
   * The token endpoint's check: `{ jkt }` of a proof that holds, `{ jkt: undefined }` when the request
   * carries none, or the answer refusing it (400 `invalid_dpop_proof` or `use_dpop_nonce`).
   */
  atTokenEndpoint(request: Request): Promise<{ readonly jkt: string | undefined } | Response>;
  /** The API's check of a `DPoP <token>` request whose token is bound to `jkt`: undefined when it holds, else the 401. */
  atResource(request: Request, accessToken: string, jkt: string): Promise<Response | undefined>;
  /** Adds the current nonce of `server` to an answer (when nonces are on), so a client learns a rotation on any answer. */
  withNonce(server: 'authorization' | 'resource', response: Response): Response;
  /** New nonces for the authorization server and the API: proofs with the old ones get a challenge. */
  rotateNonces(): void;
}

/** A proof's verdict: it holds (its key's thumbprint), it is refused (why), or it lacks the current nonce. */
type Verdict = { readonly jkt: string } | { readonly refused: string } | { readonly challenge: true };

/** Kept `jti`s beyond which the old ones (past the proof window) are dropped. */
const JTI_PRUNE_AT = 10_000;

/** The guard of a fake with `dpop` in its config; `undefined` when DPoP is off. */
export function createDpopGuard(options: ResolvedConfig, stats: MutableStats): DpopGuard | undefined {
  const config = options.dpop;
  if (config === undefined) return undefined;
  const nonces = { authorization: randomToken(16), resource: randomToken(16) };
  // jti → iat (ms): a proof is good once; entries older than the window cannot come back valid.
  const seen = new Map<string, number>();

  const check = async (server: 'authorization' | 'resource', request: Request, proof: string, accessToken?: string): Promise<Verdict> => {
    stats.dpopProofs++;
    const now = options.now();
    const verdict = await checkDpopProof(proof, { method: request.method, url: request.url, accessToken, now, window: config.proofWindow, seen });
    if (typeof verdict === 'string') return { refused: verdict };
    if (config.nonces && verdict.nonce !== nonces[server]) return { challenge: true };
    if (seen.size >= JTI_PRUNE_AT) for (const [jti, iat] of seen) if (iat < now - 2 * config.proofWindow) seen.delete(jti);
    seen.set(verdict.jti, verdict.iat * 1000);
    return { jkt: verdict.jkt };
  };

  const guard: DpopGuard = {
    required: config.required,
    async atTokenEndpoint(request) {
      const proof = singleProof(request.headers);
      if (proof === undefined) return { jkt: undefined };
      const verdict: Verdict = proof === null ? { refused: 'more than one DPoP header' } : await check('authorization', request, proof);
      if ('jkt' in verdict) return verdict;
      if ('challenge' in verdict) {
        stats.dpopNonceChallenges++;
        return guard.withNonce('authorization', oauthError(400, 'use_dpop_nonce', 'Authorization server requires nonce in DPoP proof'));
      }
      stats.dpopInvalidProofs++;
      return oauthError(400, 'invalid_dpop_proof', `Invalid DPoP proof: ${verdict.refused}`);
    },
    async atResource(request, accessToken, jkt) {
      const proof = singleProof(request.headers);
      const verdict: Verdict = typeof proof !== 'string' ? { refused: proof === null ? 'more than one DPoP header' : 'no DPoP proof' } : await check('resource', request, proof, accessToken);
      if ('jkt' in verdict && verdict.jkt === jkt) return undefined;
      if ('challenge' in verdict) {
        stats.dpopNonceChallenges++;
        return guard.withNonce('resource', resourceError('use_dpop_nonce', 'Resource server requires nonce in DPoP proof'));
      }
      stats.dpopInvalidProofs++;
      return resourceError('invalid_dpop_proof', 'refused' in verdict ? verdict.refused : 'the proof is signed by another key than the token is bound to');
    },
    withNonce(server, response) {
      if (!config.nonces) return response;
      // A copy, because a Response from the user's api may have immutable headers.
      const answer = new Response(response.body, response);
      answer.headers.set('DPoP-Nonce', nonces[server]);
      return answer;
    },
    rotateNonces() {
      nonces.authorization = randomToken(16);
      nonces.resource = randomToken(16);
    },
  };
  return guard;
}

/** The algorithms the fake verifies, as its `WWW-Authenticate: DPoP` challenges name them (RFC 9449 §7.1). */
const ALGS = 'ES256 ES384 ES512 RS256 RS384 RS512 PS256 PS384 PS512 EdDSA';

/** RFC 9449 §7.1: the API's 401 to a DPoP request whose token is missing, unknown, expired, revoked or not bound. */
export function dpopInvalidToken(): Response {
  return json(401, { error: 'invalid_token' }, { 'WWW-Authenticate': `DPoP error="invalid_token", algs="${ALGS}"` });
}

/** The API's 401 with a DPoP challenge: a proof refused, or a nonce to use. */
function resourceError(error: string, description: string): Response {
  const challenge = `DPoP error="${error}", error_description="${description}", algs="${ALGS}"`;
  return json(401, { error, error_description: description }, { 'WWW-Authenticate': challenge });
}

// The request's one `DPoP` header (undefined: none; null: more than one, which §4.3 refuses).
function singleProof(headers: Headers): string | null | undefined {
  const value = headers.get('dpop');
  if (value === null) return undefined;
  return value.includes(',') ? null : value.trim();
}
