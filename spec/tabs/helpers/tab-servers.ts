import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { createFakeAuthorizationServer, type FakeAuthorizationServer, type FakeAuthorizationServerConfig } from '../../../lib/testing/index.js';

/** The page origin and the authorization server + API origin (another port: a second origin, so CORS is real). */
export interface TabServers {
  /** The app's origin: serves `/` (the test page) and `/bundle.js` (the library and the page harness). */
  readonly appUrl: string;
  /** The authorization server and protected API, with CORS for `appUrl`: token endpoint `/oauth/token`, API `/api/…`. */
  readonly authUrl: string;
  readonly fake: FakeAuthorizationServer;
  /** Counters the fake does not keep: CORS preflights, and API requests the browser aborted. */
  readonly wire: { preflights: number; apiAborted: number; apiStarted: number; tokenDecided: number };
  /** Milliseconds the token endpoint waits before it answers, asked per request (e.g. a random 0-5 ms). */
  tokenDelay: () => number;
  /** Milliseconds the token endpoint holds its answer after it decided (and rotated): a window to close a tab in. */
  answerDelay: number;
  close(): Promise<void>;
}

let bundle: Promise<string> | undefined;

/** The page harness with the library, bundled once per worker by esbuild. */
export function pageBundle(): Promise<string> {
  bundle ??= build({
    entryPoints: [fileURLToPath(new URL('./page-harness.ts', import.meta.url))],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
    write: false,
    logLevel: 'silent',
  }).then((result) => result.outputFiles[0]!.text);
  return bundle;
}

/** Starts both servers on 127.0.0.1 and free ports. */
export async function startTabServers(config: FakeAuthorizationServerConfig = {}): Promise<TabServers> {
  const js = await pageBundle();
  const fake = createFakeAuthorizationServer({ rotateRefreshTokens: true, reuseDetection: true, ...config });
  const html = '<!doctype html><meta charset="utf-8"><title>rx-token-http tabs</title><script src="/bundle.js"></script>';
  const app = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/bundle.js') res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' }).end(js);
    else if (path === '/') res.writeHead(200, { 'content-type': 'text/html', 'cache-control': 'no-store' }).end(html);
    else res.writeHead(404).end();
  });
  const appUrl = await listen(app);
  const servers: TabServers = {
    appUrl,
    authUrl: '',
    fake,
    wire: { preflights: 0, apiAborted: 0, apiStarted: 0, tokenDecided: 0 },
    tokenDelay: () => 0,
    answerDelay: 0,
    close: async () => {
      await Promise.all([stop(app), stop(auth)]);
    },
  };
  const auth = createServer((req, res) => void serveWithCors(servers, req, res));
  (servers as { authUrl: string }).authUrl = await listen(auth);
  return servers;
}

// The fake speaks Fetch Request/Response and knows no CORS: this adds it, for the app origin only.
async function serveWithCors(servers: TabServers, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const origin = req.headers.origin;
  const cors: Record<string, string> =
    origin === servers.appUrl ? { 'access-control-allow-origin': origin, vary: 'Origin', 'access-control-expose-headers': 'WWW-Authenticate, Retry-After' } : {};
  if (req.method === 'OPTIONS') {
    servers.wire.preflights++;
    res
      .writeHead(204, {
        ...cors,
        'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE',
        'access-control-allow-headers': 'Authorization, Content-Type, Idempotency-Key',
        'access-control-max-age': '600',
      })
      .end();
    return;
  }
  const controller = new AbortController();
  const isApi = (req.url ?? '').startsWith('/api/');
  if (isApi) servers.wire.apiStarted++;
  res.once('close', () => {
    if (!res.writableFinished) {
      if (isApi) servers.wire.apiAborted++;
      controller.abort(new DOMException('The client closed the connection', 'AbortError'));
    }
  });
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = new Headers();
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', servers.authUrl);
    if (url.pathname === '/oauth/token') await sleep(servers.tokenDelay());
    const request = new Request(url, { method, headers, body: method === 'GET' || method === 'HEAD' ? undefined : Buffer.concat(chunks), signal: controller.signal });
    const response = await servers.fake.handle(request);
    if (url.pathname === '/oauth/token') {
      servers.wire.tokenDecided++;
      await sleep(servers.answerDelay);
    }
    const body = Buffer.from(await response.arrayBuffer());
    const out: Record<string, string> = { ...cors };
    response.headers.forEach((value, name) => (out[name] = value));
    res.writeHead(response.status, out).end(body);
  } catch {
    if (!res.headersSent && !controller.signal.aborted) res.writeHead(500).end();
    else res.destroy();
  }
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, backlog: 1024 }, () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

function stop(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
