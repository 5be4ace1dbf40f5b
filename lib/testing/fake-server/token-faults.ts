import { json, NO_STORE, oauthError } from './responses.js';

/**
 * How `failTokenRequests` makes a token request fail: `'network'` throws {@link FakeNetworkFault};
 * `'server-error'` is a 503 with a JSON body; `'rate-limited'` a 429 with `Retry-After: 1`; `'html'` a
 * 200 `text/html` page; `'no-access-token'` a 200 JSON body without `access_token`; `'hang'` never
 * answers until the request's signal aborts.
 */
export type FakeTokenFault = 'network' | 'server-error' | 'rate-limited' | 'html' | 'no-access-token' | 'hang';

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

/** The answer to a scripted fault that answers at once (`'hang'` is the caller's: it needs the signal). */
export function faultResponse(fault: Exclude<FakeTokenFault, 'hang'>): Response {
  switch (fault) {
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
  }
}
