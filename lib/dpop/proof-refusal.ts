import { TokenRefreshError } from '../errors/token-refresh-error.js';
import type { ApiRequest, ApiResponse } from '../transport/api-request.js';
import { redactUrl } from '../util/redact-url.js';
import type { HeadersLike } from './dpop-nonces.js';
import { isNonceChallenge, isProofRefusal } from './nonce-challenge.js';

/**
 * Why a server refused a DPoP proof (docs/dpop.md, "When the server refuses a proof"):
 * - `clock-skew`: `invalid_dpop_proof`, and the `Date` of the answer is more than
 *   {@link CLOCK_SKEW_LIMIT_SECONDS} from the clock that stamped the proof's `iat` (`clockSkew`);
 * - `invalid-proof`: `invalid_dpop_proof` for another reason (an algorithm the server does not
 *   take, a proxy that rewrites the URL the proof names, …);
 * - `nonce-repeated`: a second `use_dpop_nonce` in a row: the request was sent once more with the
 *   server's new nonce and challenged again, and is not sent a third time (rule 14).
 */
export type DpopProofFailure = 'clock-skew' | 'invalid-proof' | 'nonce-repeated';

/**
 * How far (in seconds) the server's `Date` may be from the proof's clock before a refused proof
 * is blamed on the clock: a `Date` has whole seconds and is stamped some time after the proof,
 * servers accept an `iat` within a few minutes (oidc-provider 5, jose users often 1), and a
 * device whose clock is off by more than a minute is worth naming.
 */
export const CLOCK_SKEW_LIMIT_SECONDS = 60;

/** What a {@link DpopProofError} knows besides its message. */
export interface DpopProofErrorInit {
  /** The server's status: 400 from a token endpoint, 401 from a resource server. */
  readonly status: number;
  /** See {@link DpopProofError.clockSkew}. */
  readonly clockSkew?: number | undefined;
  /** The adapter's error for a resource server's answer. */
  readonly cause?: unknown;
}

/**
 * A server refused a request's DPoP proof: a configuration problem, never a token rejection. It
 * is not sent again, starts no refresh, and revokes nothing: the session goes on. The message
 * names the server (its URL redacted) and what to fix, never a token or the proof.
 */
export class DpopProofError extends Error {
  override readonly name = 'DpopProofError';
  /** Why; see {@link DpopProofFailure}. */
  readonly reason: DpopProofFailure;
  readonly status: number;
  /**
   * Seconds the proof's clock (the binding's `now`) is ahead of the server's (negative: behind),
   * from the `Date` of its answer; undefined when it sent none.
   */
  readonly clockSkew: number | undefined;

  constructor(reason: DpopProofFailure, message: string, init: DpopProofErrorInit) {
    super(message, { cause: init.cause });
    this.reason = reason;
    this.status = init.status;
    this.clockSkew = init.clockSkew;
  }
}

/** The answer to one attempt, as {@link refusedProof} reads it. */
interface Refusal {
  readonly status: number;
  readonly headers: HeadersLike;
  readonly oauthError?: string | undefined;
  /** The server's `error_description`, when it gave one. */
  readonly description?: string | undefined;
}

/**
 * The {@link DpopProofError} an answer means, or undefined: `invalid_dpop_proof`, or a nonce
 * challenge to the attempt that already answered one (`retried`). `server` names it in the
 * message; `now` is the proofs' clock; `secrets` (the form, the access token) keep the server's
 * description out of the message when it echoes one of them.
 */
export function refusedProof(answer: Refusal, server: string, retried: boolean, now: number, secrets: readonly string[], cause?: unknown): DpopProofError | undefined {
  const { status } = answer;
  if (retried && isNonceChallenge(answer)) {
    return new DpopProofError('nonce-repeated', `${server} asked for a new DPoP nonce twice in a row (use_dpop_nonce): the request was sent once more with its nonce, was challenged again, and is not sent a third time`, { status, cause });
  }
  if (!isProofRefusal(answer)) return undefined;
  const served = Date.parse(answer.headers.get('date') ?? '');
  const clockSkew = Number.isNaN(served) ? undefined : Math.round((now - served) / 1000);
  const said = quotable(answer.description, secrets);
  const why = said === undefined ? '' : ` ("${said}")`;
  if (clockSkew !== undefined && Math.abs(clockSkew) > CLOCK_SKEW_LIMIT_SECONDS) {
    const off = `${Math.abs(clockSkew)} s ${clockSkew > 0 ? 'ahead of' : 'behind'}`;
    return new DpopProofError(
      'clock-skew',
      `${server} refused the DPoP proof (invalid_dpop_proof)${why}: this clock is ${off} the server's (the Date of its answer), and a proof carries the time it was made (iat). Set the clock right, or give dpopBinding a \`now\` that follows the server's`,
      { status, clockSkew, cause },
    );
  }
  return new DpopProofError('invalid-proof', `${server} refused the DPoP proof (invalid_dpop_proof)${why}: a configuration problem (an algorithm it does not take, a proxy that rewrites the URL); not sent again, nothing revoked`, { status, clockSkew, cause });
}

/**
 * A token request's answer that must not become tokens (a grant's, not a revocation's: its form
 * has `grant_type`), as a non-transient `TokenRefreshError`: a refused proof (reason
 * `oauth-error`, the `DpopProofError` its cause), or, with `requireBound`, a success whose
 * `token_type` is not `DPoP` (RFC 9449 §5: "the client MUST discard the response").
 */
export function refusedTokenAnswer(request: ApiRequest, response: ApiResponse<unknown>, retried: boolean, now: number, requireBound: boolean): TokenRefreshError | undefined {
  if (typeof request.body !== 'string') return undefined;
  const form = new URLSearchParams(request.body);
  if (!form.has('grant_type')) return undefined;
  const endpoint = `The token endpoint ${redactUrl(request.url)}`;
  const { error, error_description: description, token_type: tokenType } = jsonObject(response.body);
  const oauthError = typeof error === 'string' ? error : undefined;
  if (response.status >= 200 && response.status < 300) {
    if (!requireBound || (typeof tokenType === 'string' && /^dpop$/i.test(tokenType))) return undefined;
    return new TokenRefreshError(
      `${endpoint} answered a DPoP token request with token_type ${typeof tokenType === 'string' ? quotable(tokenType, []) ?? 'other than DPoP' : 'missing'}: the token is not bound to the key, and dpopBinding's requireBoundTokens discards it (RFC 9449 §5)`,
      { reason: 'invalid-response', transient: false },
    );
  }
  const refused = refusedProof({ status: response.status, headers: response.headers, oauthError, description: typeof description === 'string' ? description : undefined }, endpoint, retried, now, [...form].filter(([name]) => !PLAIN_FIELDS.has(name)).map(([, value]) => value));
  return refused && new TokenRefreshError(refused.message, { reason: 'oauth-error', oauthError, transient: false, cause: refused });
}

/**
 * A resource server's refusal of the proof, from the adapter's error for its answer (an
 * `HttpError`, Angular's `HttpErrorResponse`: anything with `status` and `headers`), as a
 * {@link DpopProofError} whose cause is that error; undefined for any other error.
 */
export function refusedResourceProof(error: unknown, method: string, url: string, accessToken: string, retried: boolean, now: number): DpopProofError | undefined {
  const { status, headers } = (error ?? {}) as { status?: unknown; headers?: { get?: unknown } };
  if (typeof status !== 'number' || typeof headers?.get !== 'function') return undefined;
  return refusedProof({ status, headers: headers as HeadersLike }, `The resource server of ${method} ${redactUrl(url)}`, retried, now, [accessToken], error);
}

// The fields of a token request that are no secret (the others, a refresh token, a code, a client
// secret or assertion, are kept out of the message).
const PLAIN_FIELDS = new Set(['grant_type', 'client_id', 'scope', 'resource', 'audience']);

// A token endpoint's JSON body (the transport parses a failing answer's, a success's stays text).
function jsonObject(body: unknown): Record<string, unknown> {
  let parsed = body;
  try {
    if (typeof body === 'string') parsed = JSON.parse(body);
  } catch {
    return {};
  }
  return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
}

// A server's short text fit for a message: printable ASCII, at most 200 characters, quoting none
// of the secrets of the request (a server may echo what it was sent).
function quotable(text: string | undefined, secrets: readonly string[]): string | undefined {
  if (text === undefined || text.length > 200 || !/^[\x20-\x7e]*$/.test(text)) return undefined;
  return secrets.some((secret) => secret.length >= 8 && text.includes(secret)) ? undefined : text.replace(/"/g, "'");
}
