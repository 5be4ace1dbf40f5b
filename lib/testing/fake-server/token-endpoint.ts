import { sleep, waitForAbort } from './abortable-wait.js';
import { clientChallenge, isClientAuthenticated, isFormEncoded } from './client-authentication.js';
import type { ResolvedConfig } from './fake-server-config.js';
import type { MutableStats } from './fake-server-stats.js';
import { json, NO_STORE, oauthError } from './responses.js';
import type { TokenLedger } from './token-ledger.js';
import { faultResponse, type FakeTokenFault } from './token-faults.js';

/** What the token endpoint decides with: the configuration, the tokens, the counters and the scripted faults. */
export interface TokenEndpointDeps {
  readonly options: ResolvedConfig;
  readonly ledger: TokenLedger;
  readonly stats: MutableStats;
  /** Scripted faults, oldest first; each token request takes the first one. */
  readonly faults: FakeTokenFault[];
}

/**
 * The token endpoint (RFC 6749 §6, `refresh_token` grant) with rotation and reuse detection. Each decision
 * is synchronous once the body is read and the delay has passed, so concurrent refreshes with one refresh
 * token see consistent rotation: the first wins, the rest are reuse.
 */
export function createTokenEndpoint(deps: TokenEndpointDeps): (request: Request) => Promise<Response> {
  const { options, stats, faults } = deps;
  return async (request) => {
    if (request.method !== 'POST') {
      return json(405, { error: 'invalid_request', error_description: 'Use POST' }, { Allow: 'POST' });
    }
    stats.tokenRequests++;
    // Taken on arrival, before any await, so scripted faults hit requests in the order they came in.
    const fault = faults.shift();
    if (fault === 'hang') return waitForAbort(request.signal);
    const body = fault ? '' : await request.text();
    // Waiting before deciding means an aborted token request changes nothing, like one never received.
    await sleep(options.tokenDelay, request.signal);
    return fault ? faultResponse(fault) : grant(deps, request.headers, body);
  };
}

function grant(deps: TokenEndpointDeps, headers: Headers, body: string): Response {
  if (!isFormEncoded(headers)) {
    return oauthError(400, 'invalid_request', 'The body must be application/x-www-form-urlencoded');
  }
  const form = new URLSearchParams(body);
  if (!isClientAuthenticated(headers, form, deps.options)) {
    return oauthError(401, 'invalid_client', 'Client authentication failed', clientChallenge(headers));
  }
  const grantType = form.get('grant_type');
  if (!grantType) return oauthError(400, 'invalid_request', 'grant_type is required');
  if (grantType !== 'refresh_token') {
    return oauthError(400, 'unsupported_grant_type', `grant_type ${grantType} is not supported`);
  }
  const presented = form.get('refresh_token');
  if (!presented) return oauthError(400, 'invalid_request', 'refresh_token is required');
  return refresh(deps, presented);
}

function refresh({ options, ledger, stats }: TokenEndpointDeps, presented: string): Response {
  const record = ledger.refreshToken(presented);
  if (record?.retired && options.reuseDetection) {
    stats.reuseDetected++;
    ledger.revoke(record.family);
  }
  if (!record || record.retired || record.family.revoked) {
    return oauthError(400, 'invalid_grant', 'The refresh token is invalid, rotated out or revoked');
  }
  stats.refreshGrants++;
  let refreshToken: string | undefined;
  if (options.rotateRefreshTokens) {
    record.retired = true;
    refreshToken = ledger.issueRefreshToken(record.family);
  }
  const { accessToken } = ledger.issueAccessToken(record.family);
  const body = {
    access_token: accessToken,
    token_type: 'Bearer',
    // Rounded down so a client that trusts expires_in never believes a token outlives the server's view.
    expires_in: Math.floor(options.accessTokenTtl / 1000),
    ...(refreshToken === undefined ? {} : { refresh_token: refreshToken }),
  };
  return json(200, body, NO_STORE);
}
