/**
 * How much of the library one warm request executes, read with V8's precise coverage on the
 * built package (issue 22's "files and functions per request"):
 *   npm run build && npx tsx bench/request-coverage.ts [--list]
 * Two scenarios against a real node:http server on 127.0.0.1: a GET with a valid token, and a
 * GET whose token the API rejects (401 → one refresh over the refresh_token grant → retry).
 * Each is warmed up first; the counters are reset; then exactly one request runs and every
 * function of `dist/` that ran at least once is counted. `--list` prints the functions.
 */
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Session } from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { lastValueFrom } from 'rxjs';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
if (!existsSync(`${dist}index.js`)) throw new Error('bench/request-coverage.ts reads the built package: run `npm run build` first');
const list = process.argv.includes('--list');

// The API accepts exactly the current access token; `/token` rotates both tokens.
let serial = 0;
let access = 'access-0';
let refresh = 'refresh-0';
const server = createServer((req, res) => void answer(req, res));
async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
  let body = '';
  for await (const chunk of req) body += String(chunk);
  res.setHeader('content-type', 'application/json');
  if (req.url === '/token') {
    if (new URLSearchParams(body).get('refresh_token') !== refresh) return void res.writeHead(400).end('{"error":"invalid_grant"}');
    serial += 1;
    access = `access-${serial}`;
    refresh = `refresh-${serial}`;
    return void res.end(JSON.stringify({ access_token: access, refresh_token: refresh, token_type: 'Bearer', expires_in: 3600 }));
  }
  if (req.headers.authorization !== `Bearer ${access}`) return void res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' }).end('{}');
  res.end('{"ok":true}');
}
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

// Precise coverage before the package loads, so every function of it is counted exactly.
const inspector = new Session();
inspector.connect();
await inspector.post('Profiler.enable');
await inspector.post('Profiler.startPreciseCoverage', { callCount: true, detailed: false });

const lib = (await import(pathToFileURL(`${dist}index.js`).href)) as typeof import('../lib/index.js');
const session = lib.createTokenSession({
  tokens: { accessToken: access, refreshToken: refresh, expiresAt: Date.now() + 3_600_000 },
  refresh: lib.oauth2RefreshGrant({ tokenUrl: `${origin}/token`, clientId: 'bench' }),
});
const api = lib.createHttpClient({ baseUrl: `${origin}/api`, session });
const get = () => lastValueFrom(api.get<{ ok: boolean }>('/orders'));
// The server forgets the session's token: the next request meets a 401 and refreshes once.
const expire = () => void (access = `access-expired-${serial}`);

const scenarios: ReadonlyArray<readonly [string, () => void]> = [
  ['valid-token GET', () => undefined],
  ['401 → refresh → retry', expire],
];
const rows: string[] = [];
for (const [name, before] of scenarios) {
  for (let i = 0; i < 50; i++) {
    before();
    await get();
  }
  before();
  await inspector.post('Profiler.takePreciseCoverage'); // resets the counters
  await get();
  const { result } = await inspector.post('Profiler.takePreciseCoverage');
  const ran = result
    .filter((script) => script.url.startsWith(pathToFileURL(dist).href))
    .map((script) => ({ file: script.url.slice(pathToFileURL(dist).href.length), functions: script.functions.filter((f) => (f.ranges[0]?.count ?? 0) > 0) }))
    .filter((script) => script.functions.length > 0);
  const functions = ran.reduce((n, script) => n + script.functions.length, 0);
  rows.push(`| ${name} | ${ran.length} | ${functions} |`);
  if (list) {
    console.log(`\n${name}:`);
    for (const script of ran) console.log(`  ${script.file}: ${script.functions.map((f) => f.functionName || '(anonymous)').join(', ')}`);
  }
}
console.log(['', '| one warm request | files of dist/ | functions |', '| --- | --- | --- |', ...rows].join('\n'));

await inspector.post('Profiler.stopPreciseCoverage');
inspector.disconnect();
session.dispose();
server.close();
