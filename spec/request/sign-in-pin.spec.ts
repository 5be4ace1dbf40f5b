import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { filter, firstValueFrom } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../lib/client/create-http-client.js';
import type { RxHttpClient } from '../../lib/client/rx-http-client.js';
import { TokenRefreshError } from '../../lib/errors/token-refresh-error.js';
import { oauth2RefreshGrant } from '../../lib/oauth2/oauth2-refresh-grant.js';
import { shareThroughRedis } from '../../lib/redis/index.js';
import { createTokenSession, type TokenSession, type TokenSessionConfig } from '../../lib/session/create-token-session.js';
import { shareInMemory } from '../../lib/session/sharing/share-in-memory.js';
import { shareStore } from '../../lib/session/sharing/share-store.js';
import type { TokenStore } from '../../lib/session/token-store.js';
import type { SessionState } from '../../lib/session/token-set.js';
import { connectClient, type TestClient } from '../../scripts/fleet/clients.js';
import { redisSpecsEnabled, startRedisServer, type TestRedisServer } from '../../scripts/fleet/redis-server.js';
import { errorOf } from '../helpers/outcomes.js';

/*
 * DESIGN rule 18, a request keeps its sign-in: a request first sent with alice's token is never
 * sent again with bob's (or with none after a sign-out), whatever it waits for meanwhile: the
 * refresh, a backoff, a late 401's retry. Over a real node:http server that records the
 * Authorization header of every API request.
 */

/** How the API answers one request: its status, and after how many ms. */
type Answer = { readonly status: number; readonly delay?: number };

interface Api {
  readonly url: string;
  /** The Authorization header of every API request, in order of arrival ('' for none). */
  readonly seen: string[];
  /** The refresh tokens the token endpoint was given. */
  readonly spent: string[];
  /** Resolves when the token endpoint has a call it holds. */
  tokenCallArrived(): Promise<void>;
  /** Answers the held token calls: the user's next tokens (`alice-r1` -> `alice-a2`, `alice-r2`). */
  release(): void;
  close(): Promise<void>;
}

async function startApi(answer: (authorization: string, index: number) => Answer, holdTokenCalls: boolean): Promise<Api> {
  const seen: string[] = [];
  const spent: string[] = [];
  let held: (() => void)[] = [];
  let released = !holdTokenCalls;
  let arrived!: () => void;
  const arrival = new Promise<void>((resolve) => (arrived = resolve));
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.url === '/oauth/token') {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const refreshToken = new URLSearchParams(body).get('refresh_token') ?? '';
        spent.push(refreshToken);
        const [user, generation] = refreshToken.split('-r');
        const next = Number(generation) + 1;
        const reply = () => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ access_token: `${user}-a${next}`, refresh_token: `${user}-r${next}`, token_type: 'Bearer', expires_in: 3600 }));
        };
        if (released) reply();
        else held.push(reply);
        arrived();
      });
      return;
    }
    const authorization = req.headers.authorization ?? '';
    const { status, delay = 0 } = answer(authorization, seen.length);
    seen.push(authorization);
    setTimeout(() => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ path: req.url }));
    }, delay);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    spent,
    tokenCallArrived: () => arrival,
    release() {
      released = true;
      for (const reply of held) reply();
      held = [];
    },
    close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

// A store whose calls each answer after `delay` ms, a read with what it held when asked.
function slowStore(delay: number): TokenStore {
  let current: SessionState | null = null;
  const later = <T>(answer: () => T) => new Promise<T>((resolve) => setTimeout(() => resolve(answer()), delay));
  return {
    read: () => {
      const seen = current;
      return later(() => seen);
    },
    write: (next, expected) =>
      later(() => {
        if ((current?.generation ?? 0) === expected && next.generation > expected) current = next;
        return current as SessionState;
      }),
  };
}

const alice = () => ({ accessToken: 'alice-a1', refreshToken: 'alice-r1', expiresAt: Date.now() + 3_600_000 });
const bob = () => ({ accessToken: 'bob-a1', refreshToken: 'bob-r1', expiresAt: Date.now() + 3_600_000 });

// alice's first token is rejected once; every other token is good.
const rejectAliceOnce = (authorization: string, index: number): Answer => ({ status: authorization === 'Bearer alice-a1' && index === 0 ? 401 : 200 });

function expectSignInChanged(error: unknown, url: string): void {
  expect(error).toBeInstanceOf(TokenRefreshError);
  expect((error as TokenRefreshError).reason).toBe('sign-in-changed');
  expect((error as TokenRefreshError).transient).toBe(false);
  expect((error as Error).message).toContain(`GET ${url}`);
  expect((error as Error).message).not.toMatch(/alice|bob/);
}

describe('a request keeps its sign-in (DESIGN rule 18), over node:http', () => {
  let api: Api | undefined;
  const sessions: TokenSession[] = [];
  afterEach(async () => {
    for (const session of sessions.splice(0)) session.dispose();
    api?.release();
    await api?.close();
    api = undefined;
  });

  function member(config: Partial<TokenSessionConfig> = {}): { session: TokenSession; client: RxHttpClient } {
    const session = createTokenSession({ tokens: alice(), refresh: oauth2RefreshGrant({ tokenUrl: `${api!.url}/oauth/token` }), ...config });
    sessions.push(session);
    const client = createHttpClient({ baseUrl: `${api!.url}/api`, session, retry: { maxRetries: 2, baseDelay: 200, jitter: false } });
    return { session, client };
  }

  /**
   * Two members of one shared session (each given `share()`), alice signed in on both: the first's
   * request got its 401 and waits for the refresh, whose token call `server` holds.
   */
  async function firstWaitsForRefresh(server: Api, share: () => TokenSessionConfig['share'], poll?: { timeout: number }) {
    const first = member({ share: share() });
    const second = member({ share: share(), tokens: undefined });
    await expect.poll(() => second.session.state.tokens?.accessToken, poll).toBe('alice-a1');
    const failed = errorOf(first.client.get('/orders'));
    await server.tokenCallArrived();
    return { first, second, failed };
  }

  describe('waiting for the refresh after a 401', () => {
    it('ends with TokenRefreshError sign-in-changed when bob signs in, and is never sent with bob\'s token', async () => {
      api = await startApi(rejectAliceOnce, true);
      const { session, client } = member();

      const failed = errorOf(client.get('/orders'));
      await api.tokenCallArrived();
      session.setTokens(bob());

      // At once: it does not wait for the refresh, which goes on (rule 3) and loses to bob's tokens.
      expectSignInChanged(await failed, `${api.url}/api/orders`);
      api.release();
      expect(api.spent).toEqual(['alice-r1']);
      expect(api.seen).toEqual(['Bearer alice-a1']);
      // A request not yet sent takes the token now current.
      await firstValueFrom(client.get('/orders'));
      expect(api.seen).toEqual(['Bearer alice-a1', 'Bearer bob-a1']);
      expect(session.state.tokens?.accessToken).toBe('bob-a1');
    });

    it('ends with TokenRefreshError signed-out on a sign-out, as before, and is not sent again', async () => {
      api = await startApi(rejectAliceOnce, true);
      const { session, client } = member();

      const failed = errorOf(client.get('/orders'));
      await api.tokenCallArrived();
      session.signOut();
      api.release();

      const error = await failed;
      expect(error).toBeInstanceOf(TokenRefreshError);
      expect((error as TokenRefreshError).reason).toBe('signed-out');
      expect(api.seen).toEqual(['Bearer alice-a1']);
    });

    it('is sent again with the refreshed token of the same sign-in (rule 2 unchanged)', async () => {
      api = await startApi(rejectAliceOnce, false);
      const { client } = member();

      expect(await firstValueFrom(client.get('/orders'))).toEqual({ path: '/api/orders' });
      expect(api.seen).toEqual(['Bearer alice-a1', 'Bearer alice-a2']);
      expect(api.spent).toEqual(['alice-r1']);
    });
  });

  describe('a late 401 (the session moved on while the request was out)', () => {
    it('is not retried with bob\'s token when bob signed in meanwhile', async () => {
      let arrived!: () => void;
      const atServer = new Promise<void>((resolve) => (arrived = resolve));
      api = await startApi((authorization) => {
        if (authorization !== 'Bearer alice-a1') return { status: 200 };
        arrived();
        return { status: 401, delay: 100 };
      }, false);
      const { session, client } = member();

      const failed = errorOf(client.get('/orders'));
      await atServer;
      session.setTokens(bob());

      expectSignInChanged(await failed, `${api.url}/api/orders`);
      expect(api.seen).toEqual(['Bearer alice-a1']);
      expect(api.spent).toEqual([]);
    });
  });

  describe('waiting for a transient retry\'s backoff', () => {
    const unavailableToAlice = (authorization: string): Answer => (authorization.startsWith('Bearer alice') ? { status: 503 } : { status: 200 });

    it('ends with TokenRefreshError sign-in-changed when bob signs in during the backoff', async () => {
      api = await startApi(unavailableToAlice, false);
      const { session, client } = member();
      session.events$.pipe(filter((event) => event.type === 'request-retried' && event.reason === 'transient')).subscribe(() => session.setTokens(bob()));

      const error = await errorOf(client.get('/orders'));

      expectSignInChanged(error, `${api.url}/api/orders`);
      expect(api.seen).toEqual(['Bearer alice-a1']);
    });

    it('ends with TokenRefreshError sign-in-changed on a sign-out during the backoff: not sent again without a token either', async () => {
      api = await startApi(unavailableToAlice, false);
      const { session, client } = member();
      session.events$.pipe(filter((event) => event.type === 'request-retried' && event.reason === 'transient')).subscribe(() => session.signOut());

      const error = await errorOf(client.get('/orders'));

      expectSignInChanged(error, `${api.url}/api/orders`);
      expect(api.seen).toEqual(['Bearer alice-a1']);
    });

    it('is sent again after the backoff when the sign-in did not change', async () => {
      let calls = 0;
      api = await startApi(() => ({ status: calls++ === 0 ? 503 : 200 }), false);
      const { client } = member();

      expect(await firstValueFrom(client.get('/orders'))).toEqual({ path: '/api/orders' });
      expect(api.seen).toEqual(['Bearer alice-a1', 'Bearer alice-a1']);
    });
  });

  describe('across members sharing through shareInMemory', () => {
    it('ends with TokenRefreshError sign-in-changed when bob signs in on another member while the request waits for the refresh', async () => {
      api = await startApi(rejectAliceOnce, true);
      const share = shareInMemory();
      const { first, second, failed } = await firstWaitsForRefresh(api, () => share);
      second.session.setTokens(bob());
      await expect.poll(() => first.session.state.tokens?.accessToken).toBe('bob-a1');

      expectSignInChanged(await failed, `${api.url}/api/orders`);
      api.release();
      expect(api.seen).toEqual(['Bearer alice-a1']);
    });

    it('ends with TokenRefreshError sign-in-changed when another member signs out while the request waits for the refresh', async () => {
      api = await startApi(rejectAliceOnce, true);
      const share = shareInMemory();
      const { first, second, failed } = await firstWaitsForRefresh(api, () => share);
      second.session.signOut();

      expectSignInChanged(await failed, `${api.url}/api/orders`);
      expect(first.session.state.tokens).toBeNull();
      api.release();
      expect(api.seen).toEqual(['Bearer alice-a1']);
    });

    it('keeps the sign-in of a member that started from the same config tokens another member wrote first', async () => {
      // Both members start with alice's tokens and find the store empty: the first write wins, and
      // the second member adopts it (another sign-in id, the same tokens) while its request is out.
      let calls = 0;
      api = await startApi(() => (calls++ === 0 ? { status: 401, delay: 100 } : { status: 200 }), false);
      const store = slowStore(10);
      const tokens = alice();
      member({ share: shareStore(store), tokens });
      const second = member({ share: shareStore(store), tokens });
      const ownSignIn = second.session.state.signIn;

      expect(await firstValueFrom(second.client.get('/orders'))).toEqual({ path: '/api/orders' });

      // The store's sign-in id is now this member's too; the 401 refreshed it and the request went on.
      expect(second.session.state.signIn).not.toBe(ownSignIn);
      expect(api.seen).toEqual(['Bearer alice-a1', 'Bearer alice-a2']);
    });
  });

  describe.runIf(redisSpecsEnabled())('across processes sharing through Redis', () => {
    let redis: TestRedisServer;
    let app: TestClient;
    beforeAll(async () => {
      redis = await startRedisServer();
      app = await connectClient('redis', redis.url);
    });
    afterAll(async () => {
      await app?.close();
      await redis?.stop();
    });

    it('ends with TokenRefreshError sign-in-changed when bob signs in on another member while the request waits for the refresh', async () => {
      api = await startApi(rejectAliceOnce, true);
      const share = () => shareThroughRedis({ client: app.client, key: 'rule-18' });
      const { first, second, failed } = await firstWaitsForRefresh(api, share, { timeout: 5_000 });
      second.session.setTokens(bob());
      await expect.poll(() => first.session.state.tokens?.accessToken, { timeout: 5_000 }).toBe('bob-a1');

      expectSignInChanged(await failed, `${api.url}/api/orders`);
      api.release();
      expect(api.seen).toEqual(['Bearer alice-a1']);
    });
  });
});
