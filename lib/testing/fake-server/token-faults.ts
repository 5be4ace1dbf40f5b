import { json, NO_STORE, oauthError } from './responses.js';

/**
 * How `failTokenRequests` makes a token request misbehave.
 *
 * Failures, the refresh token left unused: `'network'` throws {@link FakeNetworkFault}; `'server-error'`
 * is a 503 with a JSON body; `'rate-limited'` a 429 with `Retry-After: 1`; `'html'` a 200 `text/html`
 * page; `'no-access-token'` a 200 JSON body without `access_token`; `'hang'` never answers until the
 * request's signal aborts.
 *
 * Attacks on the client: `'echo-form'` is a 400 `invalid_request` whose body echoes the posted form and
 * `Authorization` header (refresh token, client secret: for checking that errors scrub secrets);
 * `'redirect'` is a 307 to the request's own URL or the `location` you give (for checking that a client
 * never forwards a refresh token); `'expired'` grants normally (rotation included) but the access token is
 * dead on arrival, `expires_in: 0` and JWT `exp` now; `'exp-in-past'` grants a token without `expires_in`
 * whose JWT `exp` is 5 minutes in the past (a client clock running ahead of the server's).
 */
export type FakeTokenFault =
  | 'network'
  | 'server-error'
  | 'rate-limited'
  | 'html'
  | 'no-access-token'
  | 'hang'
  | 'echo-form'
  | 'redirect'
  | 'expired'
  | 'exp-in-past';

/** The faults that also apply to the revocation endpoint (`failRevocationRequests`); same meaning. */
export type FakeRevocationFault = Extract<FakeTokenFault, 'network' | 'server-error' | 'rate-limited' | 'hang' | 'echo-form' | 'redirect'>;

/** Details for a scripted fault. */
export interface FakeFaultOptions {
  /** Where a `'redirect'` points, absolute or relative to the request URL. @default the request's own URL */
  location?: string;
}

/** One scripted fault as the endpoints take it. */
export interface ScriptedFault extends FakeFaultOptions {
  readonly kind: FakeTokenFault;
}

/**
 * Thrown by `FakeAuthorizationServer.handle` for a scripted `'network'` fault. The adapters turn it
 * into a real network failure: msw's `Response.error()`, or a destroyed socket.
 */
export class FakeNetworkFault extends Error {
  override readonly name = 'FakeNetworkFault';

  constructor(message = 'Scripted network failure') {
    super(message);
  }
}

/** True for the faults that still grant a token (the endpoint decides; only the token's life changes). */
export function isGrantingFault(kind: FakeTokenFault | undefined): kind is 'expired' | 'exp-in-past' {
  return kind === 'expired' || kind === 'exp-in-past';
}

/** The answer to a scripted fault that answers at once (`'hang'` and the granting ones are the caller's). */
export function faultResponse(fault: ScriptedFault, request: Request, body: string): Response {
  switch (fault.kind) {
    case 'network':
      throw new FakeNetworkFault();
    case 'server-error':
      return oauthError(503, 'temporarily_unavailable', 'Scripted server error');
    case 'rate-limited':
      return oauthError(429, 'rate_limited', 'Scripted rate limit', { 'Retry-After': '1' });
    case 'html':
      return new Response('<!doctype html><html><body><h1>Sign in</h1></body></html>', {
        status: 200,
        headers: { 'Content-Type': 'text/html; charset=utf-8' },
      });
    case 'no-access-token':
      return json(200, { token_type: 'Bearer', expires_in: 60 }, NO_STORE);
    case 'echo-form':
      return echoForm(request.headers, body);
    default:
      // 307 keeps the method and the body: a client that follows it posts the refresh token again.
      return new Response(null, { status: 307, headers: { ...NO_STORE, Location: new URL(fault.location ?? request.url, request.url).href } });
  }
}

function echoForm(headers: Headers, body: string): Response {
  const authorization = headers.get('authorization');
  const received = { form: Object.fromEntries(new URLSearchParams(body)), ...(authorization === null ? {} : { authorization }) };
  return json(400, { error: 'invalid_request', error_description: `Rejected request: ${body}`, received }, NO_STORE);
}
