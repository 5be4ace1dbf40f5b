/**
 * A/B of the request pipeline against another checkout (e.g. main), in one process:
 *   npx tsx bench/ab.ts /path/to/other/tree [memory|fetch] [concurrency]
 * Builds lib/index.ts of both trees with esbuild (rxjs external), creates a session and a client
 * from each with the same config (an in-memory transport, or a `fetch` answering from memory),
 * and alternates them over 9 rounds of requests (one at a time, or `concurrency` loops in flight
 * at once); prints medians and the ratio.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { firstValueFrom, of } from 'rxjs';
import type * as Lib from '../lib/index.js';

const [other = '', mode = 'memory', inFlight = '1'] = process.argv.slice(2);
const concurrency = Number(inFlight);
const ROUNDS = Number(process.env.AB_ROUNDS ?? 9);
if (!other) throw new Error('usage: npx tsx bench/ab.ts /path/to/other/tree [memory|fetch]');
const here = fileURLToPath(new URL('..', import.meta.url));
const out = fileURLToPath(new URL('../node_modules/.cache/rx-token-http-ab/', import.meta.url));
mkdirSync(out, { recursive: true });

async function load(name: string, root: string): Promise<typeof Lib> {
  const outfile = `${out}${name}.mjs`;
  await build({ entryPoints: [`${root}/lib/index.ts`], bundle: true, format: 'esm', platform: 'node', target: 'es2022', packages: 'external', outfile, logLevel: 'warning' });
  return (await import(`${pathToFileURL(outfile).href}?t=${Date.now()}`)) as typeof Lib;
}

const BASE = 'http://localhost:1';
const RESPONSE = { status: 200, statusText: 'OK', headers: new Headers({ 'content-type': 'application/json' }), body: { ok: true }, url: `${BASE}/api/items` };
const fakeFetch: typeof fetch = async () => new Response('{"ok":true,"items":[1,2,3]}', { status: 200, headers: { 'content-type': 'application/json' } });

function client(lib: typeof Lib) {
  const session = lib.createTokenSession({
    tokens: { accessToken: 'access-token', refreshToken: 'refresh-token', expiresAt: Date.now() + 3_600_000 },
    refresh: lib.oauth2RefreshGrant({ tokenUrl: `${BASE}/oauth/token`, fetch: fakeFetch }),
  });
  const api = lib.createHttpClient({ baseUrl: BASE, session, ...(mode === 'memory' ? { transport: () => of(RESPONSE) } : { fetch: fakeFetch }) });
  return { get: () => firstValueFrom(api.get('/api/items')), dispose: () => session.dispose() };
}

const clients = { other: client(await load('other', other)), here: client(await load('here', here)) };
const n = mode === 'memory' ? 20_000 : 5_000;
const times: Record<keyof typeof clients, number[]> = { other: [], here: [] };
const run = async (c: { get: () => Promise<unknown> }) => {
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = 0; i < n / concurrency; i++) await c.get();
    }),
  );
  return ((performance.now() - start) * 1000) / n;
};
for (const c of Object.values(clients)) await run(c); // warm-up
for (let round = 0; round < ROUNDS; round++) {
  for (const name of (round % 2 ? ['here', 'other'] : ['other', 'here']) as (keyof typeof clients)[]) times[name].push(await run(clients[name]));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? NaN;
const ratio = median(times.here.map((t, i) => t / (times.other[i] ?? NaN)));
console.log(`${mode} (${concurrency} in flight): ${other} ${median(times.other).toFixed(2)} µs/req, this tree ${median(times.here).toFixed(2)} µs/req, ratio ${ratio.toFixed(3)} (median of ${ROUNDS} alternated rounds)`);
for (const c of Object.values(clients)) c.dispose();
