import { map, type Observable } from 'rxjs';
import type { ApiRequest, ApiResponse } from '../transport/api-request.js';
import { isSuccessStatus } from '../transport/response.js';
import type { Transport } from '../transport/transport.js';
import type { ClientAuthentication } from '../session/token-access.js';
import { basicAuthorization, scrubSecrets } from './endpoint-request.js';

/** A confidential client's id and shared secret. */
export interface ClientSecretConfig {
  readonly clientId: string;
  readonly clientSecret: string;
}

/**
 * `client_secret_basic` (RFC 6749 §2.3.1): the id and secret in HTTP Basic auth, each
 * form-encoded first (Appendix B), which many clients forget: a secret with `:`, `%` or a space
 * then works with some servers only. Throws a TypeError naming the field, never its value.
 *
 * @example
 * const refresh = oauth2RefreshGrant({ tokenUrl, clientAuthentication: clientSecretBasic({ clientId: 'billing', clientSecret: process.env.CLIENT_SECRET! }) });
 */
export function clientSecretBasic(config: ClientSecretConfig): ClientAuthentication {
  const { clientId, clientSecret } = checked('clientSecretBasic', config);
  const authorization = basicAuthorization(clientId, clientSecret);
  return (request, send) => sendWith({ ...request, headers: { ...request.headers, authorization } }, send, [clientSecret]);
}

/**
 * `client_secret_post` (RFC 6749 §2.3.1): `client_id` and `client_secret` as form fields, for
 * servers that do not take HTTP Basic. Throws a TypeError naming the field, never its value.
 */
export function clientSecretPost(config: ClientSecretConfig): ClientAuthentication {
  const { clientId, clientSecret } = checked('clientSecretPost', config);
  return (request, send) => sendWith(withFields(request, { client_id: clientId, client_secret: clientSecret }), send, [clientSecret]);
}

/** `request` with form fields set: they win over fields of the same name already there. */
export function withFields(request: ApiRequest, fields: Readonly<Record<string, string>>): ApiRequest {
  const form = new URLSearchParams(String(request.body));
  for (const [name, value] of Object.entries(fields)) form.set(name, value);
  return { ...request, body: form.toString() };
}

/** Sends `request`; the body of a failing answer comes back without the `secrets`. */
export function sendWith(request: ApiRequest, send: Transport, secrets: readonly string[]): Observable<ApiResponse<unknown>> {
  return send(request).pipe(map((response) => (isSuccessStatus(response.status) ? response : { ...response, body: scrubSecrets(response.body, secrets) })));
}

function checked(name: string, config: ClientSecretConfig): ClientSecretConfig {
  for (const field of ['clientId', 'clientSecret'] as const) {
    const value: unknown = (config as Partial<ClientSecretConfig> | null)?.[field];
    if (typeof value !== 'string' || value === '') throw new TypeError(`${name}: ${field} must be a non-empty string`);
  }
  return config;
}
