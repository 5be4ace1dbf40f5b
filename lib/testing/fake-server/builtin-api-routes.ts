import { json } from './responses.js';
import { randomToken } from './random-token.js';

/** `<apiPrefix>dpop`: a DPoP nonce challenge (RFC 9449 §8), answered before any token check. */
export function dpopChallenge(): Response {
  const challenge = { 'WWW-Authenticate': 'DPoP error="use_dpop_nonce"', 'DPoP-Nonce': randomToken(16) };
  return json(401, { error: 'use_dpop_nonce' }, challenge);
}

/**
 * The routes every authorized API request can reach (`route` is the path after the API prefix):
 * `forbidden` → 403, `status/<code>` → that status, anything else → 200 `{ ok, method, path, sub, body? }`.
 */
export async function builtinApiRoute(route: string, request: Request, url: URL, sub: string): Promise<Response> {
  if (route === 'forbidden') {
    return json(403, { error: 'insufficient_scope' }, { 'WWW-Authenticate': 'Bearer error="insufficient_scope"' });
  }
  const status = /^status\/(\d+)$/.exec(route)?.[1];
  if (status !== undefined) return statusResponse(Number(status));
  // RFC 9110 §9.3.2: a HEAD answer has the GET answer's headers and no content.
  if (request.method === 'HEAD') return new Response(null, { status: 200, headers: { 'Content-Type': 'application/json' } });
  const body = await request.text();
  const echo = body === '' ? {} : { body: parseJsonOrText(body) };
  return json(200, { ok: true, method: request.method, path: url.pathname, sub, ...echo });
}

/** `?delay=<ms>` on an API request, when it is a usable number. */
export function requestedDelay(url: URL): number | undefined {
  const raw = url.searchParams.get('delay');
  const delay = raw === null || raw === '' ? NaN : Number(raw);
  return Number.isFinite(delay) && delay >= 0 ? delay : undefined;
}

function statusResponse(status: number): Response {
  // The Response constructor rejects anything outside 200–599 and bodies on null-body statuses.
  if (status < 200 || status > 599) return json(400, { error: 'invalid_status', status });
  if (status === 204 || status === 205 || status === 304) return new Response(null, { status });
  return json(status, { status });
}

function parseJsonOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
