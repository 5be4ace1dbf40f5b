/**
 * Bytes of heap a request keeps alive while it is in flight, for one tree's client:
 *   node --expose-gc --import tsx bench/retained.ts [tree, default ..] ; OPTS='{"timeout":false}' for client options
 * 20,000 GETs with a valid token are started over a transport that never answers; the heap after
 * a full GC, less the heap before, per request (three times). Unlike CPU over the socket it reads
 * the same to a few bytes from run to run, and with 64 requests in flight it is what each request
 * hands the scavenger while fetch allocates (bench/analysis.md, "Issue 22, R5").
 */
import { Observable } from 'rxjs';

const root = process.argv[2] ?? '..';
const lib = (await import(`${root}/lib/index.ts`)) as typeof import('../lib/index.js');
const BASE = 'http://localhost:1';
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const transport = () =>
  new Observable<never>(() => {
    const timer = setTimeout(() => undefined, 60_000);
    return () => clearTimeout(timer);
  });
const session = lib.createTokenSession({ tokens: { accessToken: 'access-token', refreshToken: 'refresh-token', expiresAt: Date.now() + 3_600_000 }, refresh: lib.oauth2RefreshGrant({ tokenUrl: `${BASE}/oauth/token` }) });
const options = JSON.parse(process.env.OPTS ?? '{}') as Record<string, unknown>;
const api = lib.createHttpClient({ baseUrl: BASE, session, transport: transport as never, ...options });
const N = 20_000;
for (let round = 0; round < 3; round++) {
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  const subscriptions = Array.from({ length: N }, () => api.get('/api/items').subscribe({ error: () => undefined }));
  gc();
  gc();
  const after = process.memoryUsage().heapUsed;
  console.log(`${root}: ${((after - before) / N).toFixed(0)} bytes retained per request in flight`);
  for (const subscription of subscriptions) subscription.unsubscribe();
}
session.dispose();
