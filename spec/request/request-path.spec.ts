import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../lib/client/create-http-client.js';
import { mayRetryTransient } from '../../lib/request/request-path.js';
import { HttpError } from '../../lib/errors/request-error.js';
import { oauth2RefreshGrant } from '../../lib/oauth2/oauth2-refresh-grant.js';
import { createTokenSession, type TokenSession } from '../../lib/session/create-token-session.js';
import { errorOf } from '../helpers/outcomes.js';

/** What the API does with one request: answer a status, hang until the client gives up, or reset the socket. */
type Step = 401 | 503 | 'hang' | 'reset';

interface Running {
  readonly url: string;
  readonly tokenCalls: () => number;
  readonly apiCalls: () => number;
  close(): Promise<void>;
}

// The API answers the scripted steps in order, whatever the token (a rotating server under attack).
async function start(script: readonly Step[]): Promise<Running> {
  let tokens = 0;
  let calls = 0;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.url === '/oauth/token') {
      tokens++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ access_token: `a${tokens + 1}`, refresh_token: `r${tokens + 1}`, token_type: 'Bearer', expires_in: 3600 }));
      return;
    }
    const step = script[Math.min(calls++, script.length - 1)];
    if (step === 'hang') return; // never answered: the attempt timeout aborts it
    if (step === 'reset') return void req.socket.destroy();
    res.writeHead(step ?? 500, step === 503 ? { 'retry-after': '0' } : {});
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    tokenCalls: () => tokens,
    apiCalls: () => calls,
    close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

describe('one refresh per request (DESIGN rule 7), over node:http', () => {
  let running: Running | undefined;
  let session: TokenSession | undefined;
  afterEach(async () => {
    session?.dispose();
    await running?.close();
  });

  async function client(script: readonly Step[], maxRetries: number, attemptTimeout: number | false = false) {
    running = await start(script);
    session = createTokenSession({
      tokens: { accessToken: 'a1', refreshToken: 'r1', expiresAt: Date.now() + 3_600_000 },
      refresh: oauth2RefreshGrant({ tokenUrl: `${running.url}/oauth/token` }),
    });
    return createHttpClient({ baseUrl: `${running.url}/api`, session, retry: { maxRetries, baseDelay: 1, jitter: false }, attemptTimeout });
  }

  it.each([
    ['401, 503, 401, 503, …', [401, 503, 401, 503, 401, 503, 401, 503, 401, 503] as Step[], false as const],
    ['401, timeout, 401, timeout, …', [401, 'hang', 401, 'hang', 401, 'hang', 401, 'hang', 401] as Step[], 200],
    ['401, reset, 401, reset, …', [401, 'reset', 401, 'reset', 401, 'reset', 401, 'reset', 401] as Step[], false as const],
  ])('%s: the token endpoint is hit once; the 401 after the refresh is an HttpError 401', async (_name, script, attemptTimeout) => {
    const api = await client(script, 4, attemptTimeout);

    const error = await errorOf(api.get('/orders'));

    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ status: 401 });
    expect(running!.tokenCalls()).toBe(1);
    // 401 -> refresh -> transient -> retry -> 401: the request stops there, retries left or not.
    expect(running!.apiCalls()).toBe(3);
  });

  it('still refreshes once when the first 401 comes after transient errors', async () => {
    const api = await client([503, 503, 401, 503, 401], 4);

    const error = await errorOf(api.get('/orders'));

    expect(error).toMatchObject({ status: 401 });
    expect(running!.tokenCalls()).toBe(1);
    expect(running!.apiCalls()).toBe(5);
  });
});

describe('mayRetryTransient (rule 8)', () => {
  it('lets GET, HEAD, OPTIONS, PUT and DELETE be sent again, in any case', () => {
    for (const method of ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'get', 'Delete']) expect(mayRetryTransient(method, false), method).toBe(true);
  });

  it('lets POST and PATCH be sent again only with an Idempotency-Key or the caller opting in', () => {
    for (const method of ['POST', 'PATCH', 'post']) {
      expect(mayRetryTransient(method, false), method).toBe(false);
      expect(mayRetryTransient(method, true), method).toBe(true);
      expect(mayRetryTransient(method, false, true), method).toBe(true);
    }
  });
});
