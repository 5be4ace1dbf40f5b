/**
 * Bytes allocated per request in the socket loop, by the function that allocated them: our client
 * and fetch + AbortSignal, each 64 in flight against bench/server-process.ts over the loopback
 * network, under V8's sampling heap profiler with the objects that scavenges and mark-compacts
 * collected counted too. It does not move with the machine's load, as CPU time does:
 *   npx tsx bench/allocations.ts [requests=10000]
 * (bench/analysis.md, "Issue 22, R8").
 */
import { Session } from 'node:inspector/promises';
import { loadLib } from './lib-under-test.js';
import { fetchFloor } from './peers/fetch-floor.js';
import type { Peer } from './peers/peer.js';
import { rxTokenHttp } from './peers/rx-token-http.js';
import { startServerProcess } from './throughput.js';

interface SamplingNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: SamplingNode[];
}

const requests = Number(process.argv[2] ?? 10_000);
await loadLib('built');
const server = await startServerProcess();
const config = { baseUrl: server.url, tokenUrl: `${server.url}/oauth/token`, tokens: server.tokens };

async function allocations(peer: Peer): Promise<Map<string, number>> {
  const loop = async (count: number) => {
    let left = count;
    await Promise.all(Array.from({ length: 64 }, async () => { while (left-- > 0) await peer.get('/api/items'); }));
  };
  await loop(3000); // warm-up
  const session = new Session();
  session.connect();
  // The two `include…` flags count what GC collected before the profile was read (V8 11+).
  await session.post('HeapProfiler.startSampling', { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as { samplingInterval: number });
  await loop(requests);
  const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: SamplingNode } };
  session.disconnect();
  const bytes = new Map<string, number>();
  const walk = (node: SamplingNode): void => {
    const { functionName, url, lineNumber } = node.callFrame;
    const where = `${functionName || '(anonymous)'} ${url.replace(/\?t=\d+$/, '').replace(/.*\//, '')}:${lineNumber + 1}`;
    if (node.selfSize) bytes.set(where, (bytes.get(where) ?? 0) + node.selfSize / requests);
    node.children.forEach(walk);
  };
  walk(profile.head);
  return bytes;
}

try {
  const ours = rxTokenHttp.create(config);
  const floor = fetchFloor.create(config);
  const a = await allocations(ours);
  const b = await allocations(floor);
  ours.close();
  const sum = (m: Map<string, number>) => [...m.values()].reduce((x, y) => x + y, 0);
  console.log(`allocated per request: rx-token-http ${(sum(a) / 1024).toFixed(2)} KB, fetch + AbortSignal ${(sum(b) / 1024).toFixed(2)} KB (+${((sum(a) - sum(b)) / 1024).toFixed(2)} KB)`);
  const rows = [...new Set([...a.keys(), ...b.keys()])].map((k) => ({ k, d: (a.get(k) ?? 0) - (b.get(k) ?? 0) })).sort((x, y) => y.d - x.d);
  for (const { k, d } of rows.slice(0, Number(process.env.ALLOC_TOP ?? 25))) console.log(`${d.toFixed(0).padStart(6)} B  ${k}`);
} finally {
  await server.stop();
}
