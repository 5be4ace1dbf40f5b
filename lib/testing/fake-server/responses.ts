/** RFC 6749 §5.1: token responses, and errors from the endpoints that handle credentials, are not cached. */
export const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };

/** A JSON response. */
export function json(status: number, body: unknown, headers?: Record<string, string>): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
}

/** An OAuth2 error response (RFC 6749 §5.2): `{ error, error_description }`, never cached. */
export function oauthError(status: number, error: string, description: string, headers?: Record<string, string>): Response {
  return json(status, { error, error_description: description }, { ...NO_STORE, ...headers });
}

/** RFC 6750 §3.1: the answer to a missing, unknown, expired or revoked Bearer token. */
export function invalidTokenResponse(): Response {
  return json(401, { error: 'invalid_token' }, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
}
