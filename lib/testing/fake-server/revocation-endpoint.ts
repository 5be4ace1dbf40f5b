import { waitForAbort } from './abortable-wait.js';
import { clientChallenge, isClientAuthenticated, isFormEncoded } from './client-authentication.js';
import type { EndpointDeps } from './token-endpoint.js';
import { json, NO_STORE, oauthError } from './responses.js';
import { faultResponse } from './token-faults.js';

/**
 * The token revocation endpoint ([RFC 7009](https://www.rfc-editor.org/rfc/rfc7009)): `POST token=…`
 * (with an optional `token_type_hint`, which it does not need) revokes the whole family of that refresh or
 * access token, as RFC 7009 §2.1 invites for a refresh token. Answers 200 with an empty body, also for a
 * token it does not know (§2.2), so a client cannot probe which tokens exist.
 */
export function createRevocationEndpoint(deps: EndpointDeps): (request: Request) => Promise<Response> {
  const { options, ledger, stats, faults } = deps;
  return async (request) => {
    if (request.method !== 'POST') {
      return json(405, { error: 'invalid_request', error_description: 'Use POST' }, { Allow: 'POST' });
    }
    stats.revocationRequests++;
    const fault = faults.take();
    if (fault?.kind === 'hang') return waitForAbort(request);
    const body = await request.text();
    if (fault) return faultResponse(fault, request, body);
    if (!isFormEncoded(request.headers)) {
      return oauthError(400, 'invalid_request', 'The body must be application/x-www-form-urlencoded');
    }
    const form = new URLSearchParams(body);
    if (!isClientAuthenticated(request.headers, form, options)) {
      return oauthError(401, 'invalid_client', 'Client authentication failed', clientChallenge(request.headers));
    }
    const token = form.get('token');
    if (!token) return oauthError(400, 'invalid_request', 'token is required');
    const family = ledger.familyOf(token);
    if (family) ledger.revoke(family);
    return new Response(null, { status: 200, headers: NO_STORE });
  };
}
