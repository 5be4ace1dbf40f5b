import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import {
  createFakeAuthorizationServer,
  FakeNetworkFault,
  type FakeAuthorizationServer,
  type FakeAuthorizationServerConfig,
} from '../lib/testing/fake-authorization-server.js';

/** A {@link FakeAuthorizationServer} listening on a real loopback port. */
export interface RunningOAuth2Server {
  /** Base URL, e.g. `'http://127.0.0.1:54321'`; the token endpoint is `url + tokenPath`. */
  url: string;
  /** The model behind the socket: sign in, script faults and read stats through it. */
  server: FakeAuthorizationServer;
  /** Stops listening and destroys every open connection, in-flight requests included. */
  close(): Promise<void>;
}

/**
 * Serves a fresh {@link FakeAuthorizationServer} over `node:http` on `127.0.0.1` and a free port, for the
 * demo, benchmarks and tests that want real sockets. Every request becomes a Fetch `Request` whose signal
 * aborts when the client disconnects; a scripted `'network'` fault destroys the socket. `http.keepAliveTimeout`
 * replaces Node's 5 s for idle keep-alive connections.
 *
 * @example
 * const { url, server, close } = await startOAuth2Server({ tokenDelay: 20 });
 * const { accessToken } = server.signIn();
 * await fetch(`${url}/api/me`, { headers: { Authorization: `Bearer ${accessToken}` } }); // 200
 * await close();
 *
 * @example
 * // Your own data behind the token check, callable from a page on another origin:
 * const { url } = await startOAuth2Server({ cors: true, api: (_request, user) => ({ name: user.subject }) });
 */
export async function startOAuth2Server(config?: FakeAuthorizationServerConfig, http?: { readonly keepAliveTimeout?: number }): Promise<RunningOAuth2Server> {
  const model = createFakeAuthorizationServer(config);
  let origin = '';
  const httpServer = createServer((req, res) => void serve(model, origin, req, res));
  // Node's 5 s by default; a client much slower than usual (under valgrind) needs longer.
  if (http?.keepAliveTimeout !== undefined) httpServer.keepAliveTimeout = http.keepAliveTimeout;
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    // A deep backlog so a burst of 1,000+ connections isn't refused while the accept loop catches up.
    httpServer.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  origin = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
  return {
    url: origin,
    server: model,
    close: () =>
      new Promise<void>((resolve, reject) => {
        httpServer.close((error) => (error ? reject(error) : resolve()));
        // close() alone waits for keep-alive and hanging requests; destroying them lets it resolve now.
        httpServer.closeAllConnections();
      }),
  };
}

async function serve(model: FakeAuthorizationServer, origin: string, req: IncomingMessage, res: ServerResponse) {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort(new DOMException('The client closed the connection', 'AbortError'));
  });
  try {
    const request = await toFetchRequest(req, origin, controller.signal);
    await writeResponse(res, await model.handle(request));
  } catch (error) {
    if (error instanceof FakeNetworkFault) res.destroy();
    else if (controller.signal.aborted) return;
    else if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' }).end(String(error));
    else res.destroy();
  }
}

async function toFetchRequest(req: IncomingMessage, origin: string, signal: AbortSignal): Promise<Request> {
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    headers.append(req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string);
  }
  const method = req.method ?? 'GET';
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = method === 'GET' || method === 'HEAD' ? undefined : Buffer.concat(chunks);
  return new Request(new URL(req.url ?? '/', origin), { method, headers, body, signal });
}

async function writeResponse(res: ServerResponse, response: Response): Promise<void> {
  const body = Buffer.from(await response.arrayBuffer());
  const headers: Record<string, string | string[]> = {};
  if (body.length > 0) headers['content-length'] = String(body.length);
  response.headers.forEach((value, name) => (headers[name] = value));
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  res.writeHead(response.status, response.statusText, headers).end(body);
}

// `tsx scripts/oauth2-server.ts` serves a fake until Ctrl-C, for poking at it with curl.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const running = await startOAuth2Server();
  const { accessToken, refreshToken } = running.server.signIn();
  console.log(`Fake OAuth2 server on ${running.url}\naccess token:  ${accessToken}\nrefresh token: ${refreshToken}`);
  process.once('SIGINT', () => void running.close());
}
