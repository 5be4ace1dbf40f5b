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
