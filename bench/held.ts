/**
 * `npx tsx bench/ab.ts <other tree> held`: what each tree's client adds, in CPU per request, to a
 * bare observable of the same in-memory transport when a request stays in flight as long as it
 * does over a network. The transport answers after `AB_HOLD_MS` (30 by default; 0 answers on
 * the next turn of the event loop) and allocates about 40 KB per request meanwhile, as fetch
 * does (`AB_JUNK` objects, 400 by default), so that the request's own objects go cold and meet
 * scavenges before they are touched again. 64 in flight, `AB_ROUNDS` rounds (7 by default) of
 * 6,000 requests per client in rotating order; medians of the per-round differences.
 *
 * Why: one request at a time with an answer at once (`memory`), our pipeline costs a few µs;
 * over the socket it costs ten times as much. This loop shows how much of that comes from the
 * request's lifetime alone, without the network's noise.
 */
import { Observable, firstValueFrom, type Subscriber } from 'rxjs';
import type * as Lib from '../lib/index.js';

const HOLD_MS = Number(process.env.AB_HOLD_MS ?? 30);
const JUNK = Number(process.env.AB_JUNK ?? 400);
const PER_ROUND = 6_000;
const BASE = 'http://localhost:1';
const RESPONSE = { status: 200, statusText: 'OK', headers: new Headers({ 'content-type': 'application/json' }), body: { ok: true }, url: `${BASE}/api/items` };

// Answers after HOLD_MS, keeping JUNK small objects alive until then, as a fetch in flight keeps its own.
function answerLater(subscriber: Subscriber<typeof RESPONSE>): () => void {
  let junk: unknown[] | null = [];
  for (let i = 0; i < JUNK; i++) junk.push({ i, s: `x${i}`, a: [i] });
  const fire = () => {
    junk = null;
    subscriber.next(RESPONSE);
    subscriber.complete();
  };
  if (HOLD_MS === 0) {
    const immediate = setImmediate(fire);
    return () => clearImmediate(immediate);
  }
  const timer = setTimeout(fire, HOLD_MS);
  return () => clearTimeout(timer);
}

/** Runs the loop for the bare observable and both trees' clients; prints µs added per request. */
export async function heldAb(libs: { readonly other: typeof Lib; readonly here: typeof Lib }, rounds: number, otherName: string): Promise<void> {
  const transport = () => new Observable(answerLater);
  const sessions: { dispose(): void }[] = [];
  const client = (lib: typeof Lib) => {
    const session = lib.createTokenSession({
      tokens: { accessToken: 'access-token', refreshToken: 'refresh-token', expiresAt: Date.now() + 3_600_000 },
      refresh: lib.oauth2RefreshGrant({ tokenUrl: `${BASE}/oauth/token` }),
    });
    sessions.push(session);
    const api = lib.createHttpClient({ baseUrl: BASE, session, transport });
    return () => firstValueFrom(api.get('/api/items'));
  };
  const loops: Record<'bare' | 'other' | 'here', () => Promise<unknown>> = {
    bare: () => firstValueFrom(transport()),
    other: client(libs.other),
    here: client(libs.here),
  };
  const names = Object.keys(loops) as (keyof typeof loops)[];
  const cpu: Record<keyof typeof loops, number[]> = { bare: [], other: [], here: [] };
  const run = async (get: () => Promise<unknown>, requests: number) => {
    let left = requests;
    const start = process.cpuUsage();
    await Promise.all(Array.from({ length: 64 }, async () => { while (left-- > 0) await get(); }));
    const used = process.cpuUsage(start);
    return (used.user + used.system) / requests;
  };
  for (const name of names) await run(loops[name], 2_000); // warm-up
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(round + k) % names.length] as keyof typeof loops;
      cpu[name].push(await run(loops[name], PER_ROUND));
    }
  }
  for (const session of sessions) session.dispose();
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? NaN;
  const added = (name: 'other' | 'here') => median(cpu[name].map((c, i) => c - (cpu.bare[i] ?? NaN)));
  console.log(
    `held ${HOLD_MS} ms, ${JUNK} objects each, 64 in flight, CPU per request, medians of ${rounds} rounds: bare observable ${median(cpu.bare).toFixed(1)} µs; ` +
      `${otherName} adds ${added('other').toFixed(2)} µs, this tree adds ${added('here').toFixed(2)} µs`,
  );
}
