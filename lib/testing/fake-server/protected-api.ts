import { sleep } from './abortable-wait.js';
import { builtinApiRoute, dpopChallenge, requestedDelay } from './builtin-api-routes.js';
import type { ResolvedConfig } from './fake-server-config.js';
import type { MutableStats } from './fake-server-stats.js';
import { invalidTokenResponse } from './responses.js';
import type { AccessRecord, TokenLedger } from './token-ledger.js';

/** What the protected API decides with. */
export interface ProtectedApiDeps {
  readonly options: ResolvedConfig;
  readonly ledger: TokenLedger;
  readonly stats: MutableStats;
}

/**
 * The Bearer-protected API under the prefix (RFC 6750). Every request waits `apiDelay` (or `?delay`)
 * first, so an aborted request is never answered; then `dpop` challenges without a token check, a missing,
 * unknown, expired or revoked token gets 401 `invalid_token`, and the rest go to the built-in routes.
 */
export function createProtectedApi(deps: ProtectedApiDeps): (request: Request) => Promise<Response> {
  const { options, ledger, stats } = deps;
  return async (request) => {
    stats.apiRequests++;
    const url = new URL(request.url);
    await sleep(requestedDelay(url) ?? options.apiDelay, request.signal);
    const route = url.pathname.slice(options.apiPrefix.length);
    if (route === 'dpop') return dpopChallenge();
    const access = bearerAccess(ledger, request.headers.get('authorization'));
    if (!access) {
      stats.apiUnauthorized++;
      return invalidTokenResponse();
    }
    return builtinApiRoute(route, request, access.family.sub);
  };
}

/** The record of the request's Bearer token when the API would accept it. */
export function bearerAccess(ledger: TokenLedger, authorization: string | null): AccessRecord | undefined {
  const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  return token === undefined ? undefined : ledger.usableAccessToken(token);
}
