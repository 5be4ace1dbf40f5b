/**
 * Profiles one client's request loop in a fresh process, so the JIT state left by other
 * benchmarks does not distort it:
 *   node --import tsx bench/profile-child.ts '<json ProfileJob>'
 * Prints the {@link ProfileSummary} as one JSON line.
 */
import { loadLib } from './lib-under-test.js';
import { overheadClients } from './overhead.js';
import { fetchFloor } from './peers/fetch-floor.js';
import type { InitialTokens, Peer } from './peers/peer.js';
import { rxTokenHttp } from './peers/rx-token-http.js';
import { profileLoop } from './profile.js';

export interface ProfileJob {
  /** An overhead client's name (no network), or `network:<peer name>` with `server`. */
  readonly client: string;
  readonly iterations: number;
  readonly concurrency: number;
  readonly lib: 'built' | 'source';
  readonly server?: { readonly url: string; readonly tokens: InitialTokens };
}

const job = JSON.parse(process.argv[2] ?? '{}') as ProfileJob;
await loadLib(job.lib);
let peer: Peer | undefined;
let label = job.client;
const others: Peer[] = [];
if (job.client.startsWith('network:') && job.server) {
  const factory = [rxTokenHttp, fetchFloor].find((f) => `network:${f.name}` === job.client);
  peer = factory?.create({ baseUrl: job.server.url, tokenUrl: `${job.server.url}/oauth/token`, tokens: job.server.tokens });
  label = `${factory?.name ?? job.client} over the loopback network, ${job.concurrency} in flight`;
} else {
  const clients = overheadClients();
  others.push(...clients.map((c) => c.peer));
  peer = clients.find((c) => c.name === job.client)?.peer;
  label = `${job.client}, ${job.concurrency === 1 ? 'one request at a time' : `${job.concurrency} in flight`}`;
}
if (!peer) throw new Error(`no client named ${JSON.stringify(job.client)}`);
const client = peer;
const summary = await profileLoop(label, () => client.get('/api/items'), job.iterations, job.concurrency);
client.close();
for (const p of others) p.close();
process.stdout.write(`${JSON.stringify(summary)}\n`);
