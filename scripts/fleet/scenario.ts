import type { TokenSet } from '../../lib/session/token-set.js';
import { startOAuth2Server } from '../oauth2-server.js';
import type { Library } from './clients.js';
import type { FleetWorker } from './fleet.js';
import type { BurstResult, RecordedEvent } from './protocol.js';
import type { TestRedisServer } from './redis-server.js';

/** How one member fared in {@link runExpiredFleet}. */
export interface MemberOutcome {
  readonly pid: number;
  readonly ok: number;
  readonly failed: number;
  /** `refreshed` called the token endpoint itself and stored; `adopted` took another's set; `revoked`; `none`. */
  readonly role: 'refreshed' | 'adopted' | 'revoked' | 'failed' | 'none';
  /** When its last response arrived, in ms after the burst started. */
  readonly lastMs: number;
}

/** What {@link runExpiredFleet} measured. */
export interface FleetOutcome {
  readonly members: readonly MemberOutcome[];
  readonly requests: number;
  readonly ok: number;
  readonly tokenCalls: number;
  /** Token calls that got a new token pair. */
  readonly refreshGrants: number;
  /** Token calls that presented a refresh token already rotated out. */
  readonly reuseDetected: number;
  /** From the burst's start to the last response, in ms. */
  readonly msToLast: number;
  /** Redis commands per request in a second burst with a valid token (sharing only). */
  readonly steadyRedisCommandsPerRequest: number | undefined;
}

export interface FleetScenario {
  readonly workers: readonly FleetWorker[];
  /** Share through this Redis, or give every member its own session on the same tokens. */
  readonly redis: TestRedisServer | undefined;
  readonly library: Library;
  readonly requestsPerMember: number;
  /** How long the token endpoint takes. @default 50 */
  readonly tokenDelay?: number;
  readonly key: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The issue-10 scenario: every member holds the same just-expired token and fires
 * `requestsPerMember` requests at once, against a server with rotation and reuse detection.
 */
export async function runExpiredFleet(scenario: FleetScenario): Promise<FleetOutcome> {
  const { workers, redis, library, requestsPerMember, key } = scenario;
  const oauth = await startOAuth2Server({ rotateRefreshTokens: true, reuseDetection: true, tokenDelay: scenario.tokenDelay ?? 50 });
  try {
    const issued = oauth.server.signIn();
    oauth.server.expireAccessTokens();
    const tokens: TokenSet = { accessToken: issued.accessToken, refreshToken: issued.refreshToken, expiresAt: Date.now() - 1_000 };
    const init = (worker: FleetWorker, withTokens: boolean) =>
      worker.send({
        type: 'init',
        library,
        share: redis !== undefined,
        redisUrl: redis?.url ?? '',
        key,
        apiUrl: oauth.url,
        tokenUrl: `${oauth.url}/oauth/token`,
        tokens: withTokens ? tokens : null,
      });
    await init(workers[0]!, true);
    // Sharing: the others start from the store. Not sharing: each has its own copy of the tokens.
    await Promise.all(workers.slice(1).map((w) => init(w, redis === undefined)));
    oauth.server.resetStats();

    const started = Date.now();
    const results = await Promise.all(
      workers.map(async (w) => {
        const result = await w.send<BurstResult>({ type: 'burst', count: requestsPerMember });
        return { result, lastMs: Date.now() - started };
      }),
    );
    const msToLast = Date.now() - started;
    const { tokenRequests, refreshGrants, reuseDetected } = oauth.server.stats;
    const members = await Promise.all(
      workers.map(async (w, i) => {
        const events = await w.send<RecordedEvent[]>({ type: 'events' });
        const { result, lastMs } = results[i]!;
        const role: MemberOutcome['role'] = events.some((e) => e.type === 'session-revoked')
          ? 'revoked'
          : events.some((e) => e.type === 'refresh-succeeded')
            ? 'refreshed'
            : events.some((e) => e.origin === 'remote')
              ? 'adopted'
              : events.some((e) => e.type === 'refresh-failed')
                ? 'failed'
                : 'none';
        return { pid: w.pid, ok: result.ok, failed: result.failed, role, lastMs };
      }),
    );

    let steady: number | undefined;
    if (redis) {
      await quiesce(redis);
      const before = await commandsProcessed(redis);
      await Promise.all(workers.map((w) => w.send<BurstResult>({ type: 'burst', count: requestsPerMember })));
      const after = await commandsProcessed(redis);
      steady = (after - before - 1) / (workers.length * requestsPerMember); // minus the INFO that read `before`
    }
    return {
      members,
      requests: workers.length * requestsPerMember,
      ok: members.reduce((n, m) => n + m.ok, 0),
      tokenCalls: tokenRequests,
      refreshGrants,
      reuseDetected,
      msToLast,
      steadyRedisCommandsPerRequest: steady,
    };
  } finally {
    await oauth.close();
  }
}

/** Redis's count of commands processed so far (the INFO asking is counted after it answers). */
export async function commandsProcessed(redis: TestRedisServer): Promise<number> {
  return Number(/total_commands_processed:(\d+)/.exec(await redis.command('INFO', 'stats'))?.[1]);
}

/** Waits until no member sends Redis anything (trailing lock turns of members that adopted). */
export async function quiesce(redis: TestRedisServer): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const first = await commandsProcessed(redis);
    await sleep(200);
    if ((await commandsProcessed(redis)) - first === 1) return;
  }
  throw new Error('Redis never went quiet');
}
