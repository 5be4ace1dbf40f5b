import { sleep } from './abortable-wait.js';
import { builtinApiRoute, dpopChallenge, requestedDelay } from './builtin-api-routes.js';
import type { ResolvedConfig } from './fake-server-config.js';
import type { MutableStats } from './fake-server-stats.js';
import type { FakeUser } from './fake-user.js';
import { invalidTokenResponse, json } from './responses.js';
import type { TokenLedger } from './token-ledger.js';

/** What the protected API decides with. */
export interface ProtectedApiDeps {
  readonly options: ResolvedConfig;
  readonly ledger: TokenLedger;
  readonly stats: MutableStats;
}

/** The protected API: `handle` serves a request under the prefix, `authorize` is its token check alone. */
export interface ProtectedApi {
  /** `url` is `request.url` parsed (the router already did it, once). */
  handle(request: Request, url: URL): Promise<Response>;
  authorize(request: Request): FakeUser | Response;
}

/**
 * The Bearer-protected API under the prefix (RFC 6750). Every request waits `apiDelay` (or `?delay`)
 * first, so an aborted request is never answered; then `dpop` challenges without a token check, a missing,
 * unknown, expired or revoked token gets 401 `invalid_token`, and the rest go to the user's `api`, then
 * to the built-in routes. Both entries count the request in `apiRequests` (and a 401 in `apiUnauthorized`).
 */
export function createProtectedApi(deps: ProtectedApiDeps): ProtectedApi {
  const { options, stats } = deps;
  const authorize = (request: Request): FakeUser | Response => {
    const user = bearerUser(deps.ledger, request.headers.get('authorization'));
    if (user) return user;
    stats.apiUnauthorized++;
    return invalidTokenResponse();
  };
  return {
    async handle(request, url) {
      stats.apiRequests++;
      await sleep(requestedDelay(url) ?? options.apiDelay, request.signal);
      const route = url.pathname.slice(options.apiPrefix.length);
      if (route === 'dpop') return dpopChallenge();
      const user = authorize(request);
      if (user instanceof Response) return user;
      // A clone, so the built-in echo can still read the body when the user's api passes.
      const answer = options.api === undefined ? undefined : await options.api(request.clone(), user);
      return answer === undefined ? builtinApiRoute(route, request, url, user.subject) : toResponse(answer, request.method);
    },
    authorize(request) {
      stats.apiRequests++;
      return authorize(request);
    },
  };
}

function bearerUser(ledger: TokenLedger, authorization: string | null): FakeUser | undefined {
  const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  const record = token === undefined ? undefined : ledger.usableAccessToken(token);
  return record && { subject: record.family.sub, familyId: record.family.id, expiresAt: record.expiresAt };
}

function toResponse(answer: unknown, method: string): Response {
  const response = answer instanceof Response ? answer : json(200, answer);
  // RFC 9110 §9.3.2: a HEAD answer has the GET answer's headers and no content.
  return method === 'HEAD' && response.body !== null ? new Response(null, response) : response;
}
