const ALLOWED_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS';
// The headers a client of this fake reads: the challenge, the backoff hint, the DPoP nonce, a redirect.
const EXPOSED_HEADERS = 'WWW-Authenticate, Retry-After, DPoP-Nonce, Location';

/**
 * CORS for any origin (the Fetch standard's protocol, no credentials mode): answers a preflight itself and
 * adds `Access-Control-Allow-Origin` to every other answer to a request that carries `Origin`, so a page
 * on another origin (a browser test) can call the fake.
 */
export async function withCors(request: Request, next: (request: Request) => Promise<Response>): Promise<Response> {
  const origin = request.headers.get('origin');
  if (origin === null) return next(request);
  if (request.method === 'OPTIONS' && request.headers.has('access-control-request-method')) {
    return new Response(null, {
      status: 204,
      headers: {
        'Access-Control-Allow-Origin': origin,
        'Access-Control-Allow-Methods': ALLOWED_METHODS,
        'Access-Control-Allow-Headers': request.headers.get('access-control-request-headers') ?? '',
        'Access-Control-Max-Age': '600',
        Vary: 'Origin',
      },
    });
  }
  const answer = await next(request);
  // A copy, because a Response from the user's api may have immutable headers.
  const response = new Response(answer.body, answer);
  response.headers.set('Access-Control-Allow-Origin', origin);
  response.headers.set('Access-Control-Expose-Headers', EXPOSED_HEADERS);
  response.headers.append('Vary', 'Origin');
  return response;
}
