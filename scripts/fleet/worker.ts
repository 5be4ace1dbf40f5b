// A fleet member: one process holding one session shared through Redis, driven by its parent
// over IPC (spec/redis/fleet.spec.ts, scripts/demo-fleet.ts, bench/fleet.ts). Run with
// `fork(path, { execArgv: ['--import', 'tsx'] })`.
import { firstValueFrom, from, timer, switchMap, map, tap } from 'rxjs';
import { createHttpClient } from '../../lib/client/create-http-client.js';
import { clientSecretBasic } from '../../lib/oauth2/client-secret.js';
import { oauth2ClientCredentialsGrant } from '../../lib/oauth2/oauth2-client-credentials-grant.js';
import { oauth2RefreshGrant } from '../../lib/oauth2/oauth2-refresh-grant.js';
import { dpopBinding } from '../../lib/dpop/dpop-binding.js';
import { importDpopKey } from '../../lib/dpop/dpop-key.js';
import { shareThroughRedis } from '../../lib/redis/index.js';
import { createTokenSession, type TokenSession } from '../../lib/session/create-token-session.js';
import type { RefreshFunction } from '../../lib/session/session-config.js';
import { connectClient, type TestClient } from './clients.js';
import type { BurstResult, RecordedEvent, WorkerCommand, WorkerMessage, WorkerState } from './protocol.js';

let session: TokenSession | undefined;
let api: ReturnType<typeof createHttpClient> | undefined;
let redis: TestClient | undefined;
let redisUrl: string | undefined;
let events: RecordedEvent[] = [];

const send = (message: WorkerMessage) => process.send?.(message);

async function init(command: Extract<WorkerCommand, { type: 'init' }>): Promise<WorkerState> {
  session?.dispose();
  events = [];
  if (command.share !== false && (!redis || redisUrl !== command.redisUrl)) {
    await redis?.close();
    redis = await connectClient(command.library, command.redisUrl);
    redisUrl = command.redisUrl;
  }
  const machine = command.clientCredentials;
  const dpop = command.dpop && dpopBinding({ key: await importDpopKey(command.dpop.jwk) });
  const grant = machine
    ? oauth2ClientCredentialsGrant({ tokenUrl: command.tokenUrl, clientAuthentication: clientSecretBasic(machine), scope: machine.scope, resource: machine.resource })
    : oauth2RefreshGrant({ tokenUrl: command.tokenUrl, ...(dpop && { clientId: command.dpop!.clientId, dpop }) });
  const hold = command.holdAfterAnswer;
  const refresh: RefreshFunction = Object.assign(
    (refreshToken: string) => {
      send({ type: 'token-call' });
      const answer$ = from(grant(refreshToken));
      return hold === undefined ? answer$ : answer$.pipe(tap(() => send({ type: 'token-answered' })), switchMap((tokens) => timer(hold).pipe(map(() => tokens))));
    },
    { endpoint: grant.endpoint },
  );
  const shared = command.share === false || !redis ? undefined : shareThroughRedis({ client: redis.client, key: command.key, lockTtl: command.lockTtl, lockWait: command.lockWait });
  session = createTokenSession({ tokens: machine ? 'fetch' : (command.tokens ?? null), refresh, share: shared, ...(dpop && { dpop }) });
  session.events$.subscribe((event) =>
    events.push({ type: event.type, generation: 'generation' in event ? event.generation : -1, origin: (event as { origin?: string }).origin, change: (event as { change?: string }).change, at: Date.now() }),
  );
  // The client's default retries: a loaded CI machine sometimes refuses a connection out of 800.
  api = createHttpClient({ baseUrl: command.apiUrl, session });
  // Wait for the first read (or write) of the store without making a request, which would
  // refresh an expired token right here. (A machine session's store may well be empty.)
  for (let i = 0; i < 200 && !machine && shared !== undefined && 'store' in shared && session.state.generation === 0; i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  return stateOf();
}

function stateOf(): WorkerState {
  const state = session!.state;
  const { tokens } = state;
  return { generation: state.generation, accessToken: tokens?.accessToken ?? null, refreshToken: tokens?.refreshToken ?? null, revoked: state.revoked, keyThumbprint: tokens?.keyThumbprint ?? null };
}

async function burst(count: number, path = '/api/data', tokens = false): Promise<BurstResult> {
  const started = Date.now();
  const failures: Record<string, number> = {};
  let ok = 0;
  let sample: string | undefined;
  await Promise.all(
    Array.from({ length: count }, () =>
      firstValueFrom(tokens ? session!.token() : api!.get(path)).then(
        () => void ok++,
        (error: unknown) => {
          const e = error as { name?: string; reason?: string; cause?: { name?: string; cause?: { name?: string } }; message?: string };
          const cause = e.cause?.name === 'StoreFailure' ? e.cause.cause?.name : e.cause?.name;
          const label = [e.name ?? 'Error', e.reason, cause].filter(Boolean).join('/');
          failures[label] = (failures[label] ?? 0) + 1;
          sample ??= `${label}: ${e.message}${e.cause ? ` <- ${String((e.cause as Error).message)}` : ''}`;
        },
      ),
    ),
  );
  return { ok, failed: count - ok, failures, sample, ms: Date.now() - started };
}

async function handle(command: WorkerCommand): Promise<unknown> {
  switch (command.type) {
    case 'init':
      return init(command);
    case 'burst':
      return burst(command.count, command.path, command.tokens);
    case 'state':
      return stateOf();
    case 'late-401':
      // What the pipeline asks after a 401 for a request sent with `generation`'s token.
      return firstValueFrom(session!.token(command.generation));
    case 'sign-out':
      session!.signOut();
      return stateOf();
    case 'set-tokens':
      session!.setTokens(command.tokens);
      return stateOf();
    case 'events':
      return events;
    case 'dispose':
      session?.dispose();
      session = undefined;
      await redis?.close();
      redis = undefined;
      setImmediate(() => process.exit(0));
      return null;
  }
}

process.on('message', (message: WorkerCommand & { id: number }) => {
  handle(message).then(
    (result) => send({ type: 'reply', id: message.id, ok: true, result }),
    (error: unknown) => send({ type: 'reply', id: message.id, ok: false, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }),
  );
});
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
