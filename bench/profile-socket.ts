/**
 * A CPU profile of the socket loop (issue 22's budget): our client and fetch + AbortSignal, each in
 * a fresh child process, 64 in flight against bench/server-process.ts over the loopback network,
 * and what ours adds per request, by area and by function:
 *   npx tsx bench/profile-socket.ts [iterations=30000] [--json=/tmp/out.json]
 */
import { writeFileSync } from 'node:fs';
import { profileInChild } from './overhead.js';
import { fetchFloor } from './peers/fetch-floor.js';
import { rxTokenHttp } from './peers/rx-token-http.js';
import { profileDiffMarkdown, profileMarkdown } from './profile.js';
import { startServerProcess } from './throughput.js';

const args = process.argv.slice(2);
const iterations = Number(args.find((a) => /^\d+$/.test(a)) ?? 30_000);
const json = args.find((a) => a.startsWith('--json='))?.slice('--json='.length);
const server = await startServerProcess();
try {
  const job = (client: string) => profileInChild({ client, iterations, concurrency: 64, lib: 'built', server: { url: server.url, tokens: server.tokens } });
  const ours = await job(`network:${rxTokenHttp.name}`);
  const floor = await job(`network:${fetchFloor.name}`);
  if (json) writeFileSync(json, JSON.stringify({ ours, floor }, null, 1));
  console.log([profileDiffMarkdown(ours, floor, { ours: 'rx-token-http', floor: 'fetch' }), '', profileMarkdown(ours), '', profileMarkdown(floor)].join('\n'));
} finally {
  await server.stop();
}
