import { sleep } from './abortable-wait.js';
import { builtinApiRoute, dpopChallenge, requestedDelay } from './builtin-api-routes.js';
import { dpopInvalidToken, type DpopGuard } from './dpop-guard.js';
import type { ResolvedConfig } from './fake-server-config.js';
import type { MutableStats } from './fake-server-stats.js';
import type { FakeUser } from './fake-user.js';
import { invalidTokenResponse, json } from './responses.js';
import type { AccessRecord, TokenLedger } from './token-ledger.js';

/** What the protected API decides with. */
export interface ProtectedApiDeps {
  readonly options: ResolvedConfig;
  readonly ledger: TokenLedger;
  readonly stats: MutableStats;
  /** DPoP's checks, when the config turns it on. */
  readonly dpop?: DpopGuard | undefined;
}

/** The protected API: `handle` serves a request under the prefix; `authorize` and `verify` are its token check alone. */
export interface ProtectedApi {
  /** `url` is `request.url` parsed (the router already did it, once). */
  handle(request: Request, url: URL): Promise<Response>;
  /** The Bearer check, synchronous; a `DPoP` request throws a TypeError (its proof is checked by `verify`). */
  authorize(request: Request): FakeUser | Response;
  /** The check of a Bearer or a DPoP request (its proof too). */
  verify(request: Request): Promise<FakeUser | Response>;
}

/**
 * The protected API under the prefix: Bearer tokens (RFC 6750), and DPoP-bound ones (RFC 9449 §7) when
 * the config has `dpop`. Every request waits `apiDelay` (or `?delay`) first, so an aborted request is
 * never answered; then `dpop` challenges without a token check, a missing, unknown, expired or revoked
 * token (or a bound one sent as Bearer) gets 401 `invalid_token`, a DPoP request whose proof fails 401
 * `invalid_dpop_proof` or `use_dpop_nonce`, and the rest go to the user's `api`, then to the built-in
 * routes. Each entry counts the request in `apiRequests` (and a token refused in `apiUnauthorized`).
 */
export function createProtectedApi(deps: ProtectedApiDeps): ProtectedApi {
  const { options, stats, ledger, dpop } = deps;
  const refuse = (response: Response): Response => {
    stats.apiUnauthorized++;
    return response;
  };
  const bearer = (token: string | undefined): FakeUser | Response => {
    const record = token === undefined ? undefined : ledger.usableAccessToken(token);
    // RFC 9449 §7.2: a bound token sent as Bearer is refused, or a stolen one would work without the key.
    return record && record.jkt === undefined ? userOf(record) : refuse(invalidTokenResponse());
  };
  const verify = async (request: Request): Promise<FakeUser | Response> => {
    const { scheme, token } = credentialsOf(request.headers.get('authorization'));
    if (scheme !== 'dpop' || dpop === undefined) return bearer(scheme === 'bearer' ? token : undefined);
    const record = token === undefined ? undefined : ledger.usableAccessToken(token);
    if (token === undefined || record?.jkt === undefined) return refuse(dpopInvalidToken());
    return (await dpop.atResource(request, token, record.jkt)) ?? userOf(record);
  };
  const serve = async (request: Request, url: URL): Promise<Response> => {
    const route = url.pathname.slice(options.apiPrefix.length);
    if (route === 'dpop') return dpopChallenge();
    const user = await verify(request);
    if (user instanceof Response) return user;
    // A clone, so the built-in echo can still read the body when the user's api passes.
    const answer = options.api === undefined ? undefined : await options.api(request.clone(), user);
    return answer === undefined ? builtinApiRoute(route, request, url, user.subject) : toResponse(answer, request.method);
  };
  return {
    async handle(request, url) {
      stats.apiRequests++;
      await sleep(requestedDelay(url) ?? options.apiDelay, request.signal);
      const answer = await serve(request, url);
      return dpop === undefined || url.pathname.endsWith(`${options.apiPrefix}dpop`) ? answer : dpop.withNonce('resource', answer);
    },
    authorize(request) {
      const { scheme, token } = credentialsOf(request.headers.get('authorization'));
      if (scheme === 'dpop' && dpop !== undefined) throw new TypeError('authorize: a DPoP request has a proof to check, which takes a promise: use verify(request)');
      stats.apiRequests++;
      return bearer(scheme === 'bearer' ? token : undefined);
    },
    verify(request) {
      stats.apiRequests++;
      return verify(request);
    },
  };
}

function credentialsOf(authorization: string | null): { scheme?: 'bearer' | 'dpop'; token?: string } {
  const match = /^(Bearer|DPoP)\s+(\S+)$/i.exec(authorization ?? '');
  return match ? { scheme: match[1]?.toLowerCase() as 'bearer' | 'dpop', token: match[2] } : {};
}

function userOf(record: AccessRecord): FakeUser {
  return { subject: record.family.sub, familyId: record.family.id, expiresAt: record.expiresAt };
}

function toResponse(answer: unknown, method: string): Response {
  const response = answer instanceof Response ? answer : json(200, answer);
  // RFC 9110 §9.3.2: a HEAD answer has the GET answer's headers and no content.
  return method === 'HEAD' && response.body !== null ? new Response(null, response) : response;
}
