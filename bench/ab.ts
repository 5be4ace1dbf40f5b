/**
 * A/B of the request pipeline against another checkout (e.g. main), in one process:
 *   npx tsx bench/ab.ts /path/to/other/tree [memory|fetch|socket|instructions|held] [concurrency]
 * Builds lib/index.ts of both trees with esbuild (rxjs external), creates a session and a client
 * from each with the same config (an in-memory transport, or a `fetch` answering from memory),
 * and alternates them over 9 rounds of requests (one at a time, or `concurrency` loops in flight
 * at once); prints medians and the ratio.
 *
 * `instructions`: both clients and plain fetch + AbortSignal against the same server, each run under
 * valgrind for 1,000 and 5,000 requests (`AB_REQUESTS=small,large`): instructions per request
 * (bench/instructions.ts). About 5 min; free of the machine's other load, not of the process's own
 * (a major GC or a compile in one window and not another): the same tree reads ±4 % against itself.
 *
 * `held`: what each tree's client adds to a bare observable when requests stay in flight as long
 * as over a network, without one (bench/held.ts).
 *
 * `socket`: both clients and plain fetch + AbortSignal against the throughput scenario's server
 * process over the loopback network, 64 in flight, 1.5 s each per round in rotating order
 * (`AB_ROUNDS`, 24 by default): the median per-round ratio of this process's CPU per request,
 * this tree to the other, and each to fetch. What issue 11's CPU target reads, without the rest of
 * the bench.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { firstValueFrom, of } from 'rxjs';
import type * as Lib from '../lib/index.js';

const [other = '', mode = 'memory', inFlight = '1'] = process.argv.slice(2);
const concurrency = Number(inFlight);
const ROUNDS = Number(process.env.AB_ROUNDS ?? (mode === 'socket' ? 24 : 9));
if (!other) throw new Error('usage: npx tsx bench/ab.ts /path/to/other/tree [memory|fetch|socket|instructions|held] [concurrency]');
const here = fileURLToPath(new URL('..', import.meta.url));
const out = fileURLToPath(new URL('../node_modules/.cache/rx-token-http-ab/', import.meta.url));
mkdirSync(out, { recursive: true });

async function buildLib(name: string, root: string): Promise<string> {
  const outfile = `${out}${name}.mjs`;
  await build({ entryPoints: [`${root}/lib/index.ts`], bundle: true, format: 'esm', platform: 'node', target: 'es2022', packages: 'external', outfile, logLevel: 'warning' });
  return outfile;
}

async function load(name: string, root: string): Promise<typeof Lib> {
  return (await import(`${pathToFileURL(await buildLib(name, root)).href}?t=${Date.now()}`)) as typeof Lib;
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

if (mode === 'instructions') {
  const { countInstructions } = await import('./instructions.js');
  const [small = 1000, large = 5000] = (process.env.AB_REQUESTS ?? '').split(',').filter(Boolean).map(Number);
  if (!(small > 0 && large > small)) throw new Error('AB_REQUESTS must be two counts, small then large, e.g. 1000,5000');
  const counted = await countInstructions(
    [
      { name: 'fetch', client: 'fetch' },
      { name: 'other', client: { lib: await buildLib('other', other) } },
      { name: 'here', client: { lib: await buildLib('here', here) } },
    ],
    { small, large },
    (line) => console.log(line),
  );
  const per = (name: string) => counted.get(name) ?? NaN;
  console.log(`instructions per request (requests ${small} to ${large}): this tree / ${other} ${(per('here') / per('other')).toFixed(3)}; ${other} / fetch ${(per('other') / per('fetch')).toFixed(3)}; this tree / fetch ${(per('here') / per('fetch')).toFixed(3)}`);
  process.exit(0);
}

if (mode === 'socket') {
  await socketAb(await load('other', other), await load('here', here));
  process.exit(0);
}

if (mode === 'held') {
  const { heldAb } = await import('./held.js');
  await heldAb({ other: await load('other', other), here: await load('here', here) }, Number(process.env.AB_ROUNDS ?? 7), other);
  process.exit(0);
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

async function socketAb(otherLib: typeof Lib, hereLib: typeof Lib): Promise<void> {
  const { measure, startServerProcess } = await import('./throughput.js');
  const { fetchFloor } = await import('./peers/fetch-floor.js');
  const server = await startServerProcess();
  const config = { baseUrl: server.url, tokenUrl: `${server.url}/oauth/token`, tokens: server.tokens };
  const ours = (lib: typeof Lib, name: string) => {
    const session = lib.createTokenSession({ tokens: config.tokens, refresh: lib.oauth2RefreshGrant({ tokenUrl: config.tokenUrl }) });
    const api = lib.createHttpClient({ baseUrl: config.baseUrl, session });
    return { name, get: (path: string) => firstValueFrom(api.get(path)).then(() => ({ kind: 'ok' as const })), tokens: () => ({ accessToken: null, refreshToken: null }), close: () => session.dispose() };
  };
  const peers = [fetchFloor.create(config), ours(otherLib, 'other'), ours(hereLib, 'here')];
  const cpu = new Map<string, number[]>(peers.map((p) => [p.name, []]));
  try {
    for (const peer of peers) await measure(peer, 800); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      const order = peers.map((_, k) => peers[(round + k) % peers.length] as (typeof peers)[number]);
      for (const peer of round % 2 ? order.reverse() : order) cpu.get(peer.name)?.push((await measure(peer, 1500)).cpuMicros);
    }
  } finally {
    for (const peer of peers) peer.close();
    await server.stop();
  }
  const middle = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1] ?? NaN;
  const perRound = (a: string, b: string) => middle((cpu.get(a) ?? []).map((c, i) => c / (cpu.get(b)?.[i] ?? NaN)));
  const floor = peers[0]?.name ?? '';
  console.log(`socket (64 in flight), CPU per request, medians of ${ROUNDS} rounds: this tree / ${other} ${perRound('here', 'other').toFixed(3)}; ${other} / fetch ${perRound('other', floor).toFixed(3)}; this tree / fetch ${perRound('here', floor).toFixed(3)}`);
}
