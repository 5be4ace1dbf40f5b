import type { Observable } from 'rxjs';
import type { ApiRequest, ApiResponse } from '../transport/api-request.js';
import type { Transport } from '../transport/transport.js';

/**
 * How a client proves who it is to the authorization server's token and revocation endpoints
 * (RFC 6749 §2.3): one option, `clientAuthentication`, shared by `oauth2RefreshGrant` and
 * `oauth2Revocation`. Make one with `clientSecretBasic`, `clientSecretPost` or `privateKeyJwt`.
 * It receives each form POST (`body` a form-encoded string) and sends it on with the client's
 * credentials added, once per subscription (an assertion is never sent twice); the body of a
 * failing answer comes back with those credentials replaced by `***`.
 */
export type ClientAuthentication = (request: ApiRequest, send: Transport) => Observable<ApiResponse<unknown>>;

/**
 * The authorization server's half of a DPoP binding (RFC 9449), what the grants and
 * `oauth2Revocation` take as their `dpop` option: make it with `dpopBinding({ key })` of
 * `rx-token-http/dpop`, so that an app without DPoP pays no bytes for it.
 */
export interface DpopEndpointBinding {
  /**
   * `authentication` (none for a public client) with a DPoP proof around it: each POST to the
   * token or revocation endpoint gets a fresh proof of the key in its `DPoP` header, and is sent
   * once more, with a new proof and a new client assertion, when the answer is a
   * `use_dpop_nonce` challenge (rule 14). Never sends a request without a proof (rule 15).
   */
  proving(authentication: ClientAuthentication | undefined): ClientAuthentication;
}
