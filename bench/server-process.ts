/**
 * The fake OAuth2 server in a process of its own, for the throughput scenario: the client
 * process then spends its CPU on the clients only, and `process.cpuUsage()` there measures them
 * alone. Started by bench/throughput.ts with `fork`; it reports `{ url, tokens }` over IPC and
 * closes when the parent disconnects (or exits), so it never outlives the benchmark.
 */
import { startOAuth2Server } from '../scripts/oauth2-server.js';

// KEEP_ALIVE_MS: for a slow client (bench/instructions.ts runs it under valgrind).
const keepAlive = Number(process.env.KEEP_ALIVE_MS ?? '');
const running = await startOAuth2Server({ accessTokenTtl: 3_600_000 }, keepAlive > 0 ? { keepAliveTimeout: keepAlive } : undefined);
const tokens = running.server.signIn();
process.send?.({ url: running.url, tokens });
process.once('disconnect', () => void running.close());
