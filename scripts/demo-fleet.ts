/**
 * `npm run demo:fleet`: 8 Node processes share one just-expired token, each fires 100 requests at
 * once, first each with its own session, then sharing it through Redis (`rx-token-http/redis`).
 * Starts its own redis-server (no persistence) and fake OAuth2 server on 127.0.0.1; ends by itself.
 */
import { pathToFileURL } from 'node:url';
import { explainTokenCalls } from './demo-words.js';
import { LIBRARIES, type Library } from './fleet/clients.js';
import { startFleet, stopFleet } from './fleet/fleet.js';
import { findRedisServer, startRedisServer } from './fleet/redis-server.js';
import { runExpiredFleet, type FleetOutcome } from './fleet/scenario.js';

const MEMBERS = 8;
const REQUESTS = 100;
const TOKEN_DELAY = 50;

export interface FleetDemoResult {
  readonly alone: FleetOutcome;
  readonly shared: FleetOutcome;
}

export async function runFleetDemo(options: { write?: (line: string) => void; library?: Library } = {}): Promise<FleetDemoResult> {
  const write = options.write ?? ((line: string) => console.log(line));
  const library = options.library ?? 'redis';
  const [redis, workers] = await Promise.all([startRedisServer(), startFleet(MEMBERS)]);
  try {
    write('rx-token-http fleet demo');
    write(`${MEMBERS} Node processes (child_process.fork) hold the same refresh token for one OAuth client. Its access token`);
    write(`has just expired, and each process fires ${REQUESTS} requests at once. The fake OAuth2 server rotates the`);
    write(`refresh token and revokes the whole family when a spent one comes back (RFC 9700); its token endpoint`);
    write(`answers in ${TOKEN_DELAY} ms. redis-server runs on ${redis.url} without persistence. Each run signs in afresh.`);

    write('');
    write(`Each process with its own session (no sharing)`);
    const alone = await runExpiredFleet({ workers, redis: undefined, library, requestsPerMember: REQUESTS, tokenDelay: TOKEN_DELAY, key: 'demo:alone' });
    print(write, alone);
    write(`  = ${alone.ok} of ${alone.requests} requests ok: the processes revoked each other. ${alone.tokenCalls} token-endpoint calls:`);
    const counts = { tokenRequests: alone.tokenCalls, refreshGrants: alone.refreshGrants, reuseDetected: alone.reuseDetected };
    for (const line of explainTokenCalls(counts)) write(`    - ${line}`);

    write('');
    write(`Shared through Redis: share: shareThroughRedis({ client, key: 'tokens:partner-api' }) (${library} client)`);
    const shared = await runExpiredFleet({ workers, redis, library, requestsPerMember: REQUESTS, tokenDelay: TOKEN_DELAY, key: 'demo:shared' });
    print(write, shared);
    write(`  = ${shared.ok} of ${shared.requests} requests ok, last response after ${shared.msToLast} ms.`);
    write(`    ${shared.tokenCalls} token-endpoint call${shared.tokenCalls === 1 ? ': by the process that took the Redis lock; the others waited and read its new tokens from Redis' : 's'} (reuse detected: ${shared.reuseDetected}).`);
    write(`    Afterwards, with a valid token: ${shared.steadyRedisCommandsPerRequest} Redis commands per request (changes arrive by pub/sub).`);
    return { alone, shared };
  } finally {
    await stopFleet(workers);
    await redis.stop();
  }
}

function print(write: (line: string) => void, outcome: FleetOutcome): void {
  const roles = { refreshed: 'called the token endpoint', adopted: 'adopted the new set from Redis', revoked: 'revoked', failed: 'refresh failed', none: 'no refresh' };
  outcome.members.forEach((m, i) => {
    write(`  process ${i + 1} (pid ${m.pid}): ${String(m.ok).padStart(3)}/${m.ok + m.failed} ok, ${roles[m.role]}, last response +${m.lastMs} ms`);
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (!findRedisServer()) {
    console.error('demo:fleet needs redis-server: bash scripts/ci/setup-redis.sh (apt-get install -y redis-server)');
    process.exit(1);
  }
  const library = (process.argv[2] ?? 'redis') as Library;
  if (!LIBRARIES.includes(library)) throw new Error(`usage: npm run demo:fleet -- [${LIBRARIES.join('|')}]`);
  const { shared } = await runFleetDemo({ library });
  process.exit(shared.tokenCalls === 1 && shared.ok === shared.requests ? 0 : 1);
}
