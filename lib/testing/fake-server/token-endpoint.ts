import { sleep, waitForAbort } from './abortable-wait.js';
import { isValidClientAssertion } from './client-assertion.js';
import { clientChallenge, isClientAuthenticated, isFormEncoded } from './client-authentication.js';
import type { DpopGuard } from './dpop-guard.js';
import type { FaultQueue } from './fault-queue.js';
import type { ResolvedConfig } from './fake-server-config.js';
import type { MutableStats } from './fake-server-stats.js';
import { json, NO_STORE, oauthError } from './responses.js';
import type { TokenLedger } from './token-ledger.js';
import { faultResponse, isGrantingFault, type ScriptedFault } from './token-faults.js';

/** What an authorization-server endpoint decides with: the configuration, the tokens, the counters, the faults. */
export interface EndpointDeps {
  readonly options: ResolvedConfig;
  readonly ledger: TokenLedger;
  readonly stats: MutableStats;
  readonly faults: FaultQueue;
  /** DPoP's checks, when the config turns it on. */
  readonly dpop?: DpopGuard | undefined;
}

/** How long the access token of a grant lives, and whether the answer says so in `expires_in`. */
interface Lifetime {
  readonly ttl: number;
  readonly sendExpiresIn: boolean;
}

/**
 * The token endpoint (RFC 6749 §6, `refresh_token` grant) with rotation and reuse detection, and the
 * client credentials grant (§4.4: the client's own token, no refresh token). Each decision
 * is synchronous once the body is read and the delay has passed, so concurrent refreshes with one refresh
 * token see consistent rotation: the first wins, the rest are reuse.
 */
export function createTokenEndpoint(deps: EndpointDeps): (request: Request) => Promise<Response> {
  const { options, stats, faults } = deps;
  // The `jti`s of the client assertions taken: each is good once.
  const seen = new Set<string>();
  return async (request) => {
    if (request.method !== 'POST') {
      return json(405, { error: 'invalid_request', error_description: 'Use POST' }, { Allow: 'POST' });
    }
    stats.tokenRequests++;
    // Taken on arrival, before any await, so scripted faults hit requests in the order they came in.
    const fault = faults.take();
    if (fault?.kind === 'hang') return waitForAbort(request);
    const body = needsBody(fault) ? await request.text() : '';
    // Waiting before deciding means an aborted token request changes nothing, like one never received.
    await sleep(options.tokenDelay, request.signal);
    if (fault && !isGrantingFault(fault.kind)) return faultResponse(fault, request, body);
    // A private_key_jwt client's assertion is checked here, the only wait; the decision stays synchronous.
    const assertion = new URLSearchParams(body).has('client_assertion') ? await assertionHolds(options, request, body, seen) : undefined;
    if (deps.dpop === undefined) return grant(deps, request.headers, body, lifetime(options, fault), assertion);
    // The proof is checked before the grant looks at any token, so a refused proof or a nonce challenge spends nothing.
    const proof = await deps.dpop.atTokenEndpoint(request);
    if (proof instanceof Response) return proof;
    return deps.dpop.withNonce('authorization', grant(deps, request.headers, body, lifetime(options, fault), assertion, proof.jkt));
  };
}

function needsBody(fault: ScriptedFault | undefined): boolean {
  return fault === undefined || fault.kind === 'echo-form' || isGrantingFault(fault.kind);
}

function lifetime(options: ResolvedConfig, fault: ScriptedFault | undefined): Lifetime {
  if (fault?.kind === 'expired') return { ttl: 0, sendExpiresIn: true };
  if (fault?.kind === 'exp-in-past') return { ttl: -300_000, sendExpiresIn: false };
  return { ttl: options.accessTokenTtl, sendExpiresIn: true };
}

function assertionHolds(options: EndpointDeps['options'], request: Request, body: string, seen: Set<string>): Promise<boolean> {
  if (options.clientJwks === undefined || options.clientId === undefined) return Promise.resolve(false);
  const url = new URL(request.url);
  const audiences = [`${url.origin}${url.pathname}`, url.origin, `${url.origin}/`];
  return isValidClientAssertion(new URLSearchParams(body), { clientId: options.clientId, keys: options.clientJwks, audiences, now: options.now(), seen });
}

// `assertion`: whether a client assertion the request carried holds (undefined: it carried none).
// `jkt`: the thumbprint of the key of the DPoP proof that holds (undefined: no proof).
function grant(deps: EndpointDeps, headers: Headers, body: string, life: Lifetime, assertion?: boolean, jkt?: string): Response {
  if (!isFormEncoded(headers)) {
    return oauthError(400, 'invalid_request', 'The body must be application/x-www-form-urlencoded');
  }
  const form = new URLSearchParams(body);
  if (!(assertion ?? isClientAuthenticated(headers, form, deps.options))) {
    return oauthError(401, 'invalid_client', 'Client authentication failed', clientChallenge(headers));
  }
  const grantType = form.get('grant_type');
  if (!grantType) return oauthError(400, 'invalid_request', 'grant_type is required');
  if (grantType === 'client_credentials') return jkt === undefined && deps.dpop?.required ? proofRequired() : clientCredentials(deps, form, life, jkt);
  if (grantType !== 'refresh_token') {
    return oauthError(400, 'unsupported_grant_type', `grant_type ${grantType} is not supported`);
  }
  const presented = form.get('refresh_token');
  if (!presented) return oauthError(400, 'invalid_request', 'refresh_token is required');
  return refresh(deps, presented, life, jkt);
}

function refresh({ options, ledger, stats, dpop }: EndpointDeps, presented: string, life: Lifetime, jkt: string | undefined): Response {
  const record = ledger.refreshToken(presented);
  // A bound refresh token without its key's proof: refused, nothing spent, no reuse detected; oidc-provider
  // answers it with the same invalid_grant as a reused token, and so does the fake.
  if (record?.family.jkt !== undefined && record.family.jkt !== jkt) return invalidGrant();
  if (jkt === undefined && dpop?.required) return proofRequired();
  if (record?.retired && options.reuseDetection) {
    stats.reuseDetected++;
    ledger.revoke(record.family);
  }
  if (!record || record.retired || record.family.revoked) return invalidGrant();
  stats.refreshGrants++;
  // The first proof binds the family's refresh tokens to its key, as a code exchange with a proof would have.
  record.family.jkt ??= jkt;
  let refreshToken: string | undefined;
  if (options.rotateRefreshTokens) {
    record.retired = true;
    refreshToken = ledger.issueRefreshToken(record.family);
  }
  const { accessToken } = ledger.issueAccessToken(record.family, life.ttl, jkt);
  const body = {
    access_token: accessToken,
    token_type: jkt === undefined ? 'Bearer' : 'DPoP',
    // Rounded down so a client that trusts expires_in never believes a token outlives the server's view.
    ...(life.sendExpiresIn ? { expires_in: Math.max(0, Math.floor(life.ttl / 1000)) } : {}),
    ...(refreshToken === undefined ? {} : { refresh_token: refreshToken }),
  };
  return json(200, body, NO_STORE);
}

/**
 * RFC 6749 §4.4: a token of the client's own, whose subject is the configured `clientId` (or
 * `client`), in a family of its own: revoking it (`revokeAll()`) ends the token, not the client,
 * whose next grant works. No refresh token; `scope` is echoed when asked for.
 */
function clientCredentials({ options, ledger }: EndpointDeps, form: URLSearchParams, life: Lifetime, jkt: string | undefined): Response {
  const { accessToken } = ledger.issueAccessToken(ledger.clientFamily(options.clientId ?? 'client'), life.ttl, jkt);
  const scope = form.get('scope');
  const body = {
    access_token: accessToken,
    token_type: jkt === undefined ? 'Bearer' : 'DPoP',
    ...(life.sendExpiresIn ? { expires_in: Math.max(0, Math.floor(life.ttl / 1000)) } : {}),
    ...(scope ? { scope } : {}),
  };
  return json(200, body, NO_STORE);
}

function invalidGrant(): Response {
  return oauthError(400, 'invalid_grant', 'The refresh token is invalid, rotated out or revoked');
}

function proofRequired(): Response {
  return oauthError(400, 'invalid_dpop_proof', 'This server requires a DPoP proof');
}
