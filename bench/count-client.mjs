/**
 * One client's request loop, for bench/instructions.ts to count under valgrind:
 *   node bench/count-client.mjs <fetch | a built lib/index.mjs> <requests> <job.json>
 * Plain JavaScript, so node runs it without a loader (a loader under valgrind would cost minutes).
 * 64 requests in flight, GET /api/items on the throughput scenario's server, JSON body read; the
 * job file holds the server's `{ url, tokens }`. A failed request is sent once more; exits 1 when
 * one fails twice or more than 5 % needed a second try.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { firstValueFrom } from 'rxjs';

const [which = '', count = '0', jobFile = ''] = process.argv.slice(2);
const { url, tokens } = JSON.parse(readFileSync(jobFile, 'utf8'));
const requests = Number(count);
let get;
if (which === 'fetch') {
  // bench/peers/fetch-floor.ts: fetch with a valid token and an AbortSignal.
  const authorization = `Bearer ${tokens.accessToken}`;
  get = async () => {
    const controller = new AbortController();
    const response = await fetch(`${url}/api/items`, { headers: { authorization }, signal: controller.signal });
    await response.json();
  };
} else {
  // bench/peers/rx-token-http.ts: our client with its defaults.
  const lib = await import(pathToFileURL(which).href);
  const session = lib.createTokenSession({ tokens, refresh: lib.oauth2RefreshGrant({ tokenUrl: `${url}/oauth/token` }) });
  const client = lib.createHttpClient({ baseUrl: url, session });
  get = () => firstValueFrom(client.get('/api/items'));
}
let left = requests;
let failed = 0;
let lost = 0;
let example = '';
await Promise.all(
  Array.from({ length: 64 }, async () => {
    while (left-- > 0) {
      try {
        await get();
      } catch (error) {
        // Under valgrind the warm-up is slow enough for the server to close a keep-alive
        // connection as the next request goes out ("other side closed"): that request is sent
        // again, as our client's own retry does. Counted, so a run that needed many says so.
        failed++;
        example ||= String(error?.cause ?? error);
        await get().catch(() => lost++);
      }
    }
  }),
);
if (failed > 0) console.error(`count-client: ${failed} of ${requests} requests sent again (${lost} failed twice), e.g. ${example}`);
if (lost > 0 || failed > requests / 20) process.exit(1);
process.exit(0);
