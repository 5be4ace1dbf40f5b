// The machine-session holder of docs/machine-sessions.md ("One session per API"), run: one session
// per (client, audience, scope), made on first use, each shared through Redis under its own key.
// Two holders on two Redis connections stand for two processes of a fleet; oidc-provider on
// 127.0.0.1 is the token endpoint, with two clients (client_secret_basic and client_secret_post).
import { firstValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../lib/client/create-http-client.js';
import { clientSecretBasic, clientSecretPost } from '../../lib/oauth2/client-secret.js';
import { oauth2ClientCredentialsGrant } from '../../lib/oauth2/oauth2-client-credentials-grant.js';
import { shareThroughRedis } from '../../lib/redis/index.js';
import type { RedisClientLike } from '../../lib/redis/index.js';
import { createTokenSession, type TokenSession } from '../../lib/session/create-token-session.js';
import { connectClient, type TestClient } from '../../scripts/fleet/clients.js';
import { redisSpecsEnabled, startRedisServer, type TestRedisServer } from '../../scripts/fleet/redis-server.js';
import { API_RESOURCE, CLIENTS, startOidcProvider, type RunningProvider } from '../oidc/oidc-provider-fixtures.js';

/** The holder of the docs, for one process: its Redis connection, the clients it knows. */
function machineSessionsOf(redis: RedisClientLike, tokenUrl: string) {
  const clients = {
    billing: clientSecretBasic(CLIENTS.basic),
    reports: clientSecretPost(CLIENTS.post),
  };

  /** The machine sessions of this process: one per (client, audience, scope), made on first use. */
  const machineSessions = new Map<string, TokenSession>();

  function machineSession(client: keyof typeof clients, audience: string, scope: string): TokenSession {
    const scopes = scope.split(' ').filter(Boolean).sort().join(' '); // 'b a' and 'a b': one session
    const key = `machine:${client}:${audience}:${scopes}`;
    let session = machineSessions.get(key);
    if (session === undefined) {
      session = createTokenSession({
        tokens: 'fetch',
        refresh: oauth2ClientCredentialsGrant({ tokenUrl, clientAuthentication: clients[client], resource: audience, scope: scopes }),
        share: shareThroughRedis({ client: redis, key }),
      });
      machineSessions.set(key, session);
    }
    return session;
  }
  return { machineSession, machineSessions };
}

describe.runIf(redisSpecsEnabled())('machine sessions keyed by (client, audience, scope), shared through Redis', () => {
  let redis: TestRedisServer;
  let provider: RunningProvider;
  let connections: TestClient[] = [];

  beforeAll(async () => {
    [redis, provider] = await Promise.all([startRedisServer(), startOidcProvider({ accessTokenTtl: 60 })]);
    connections = await Promise.all([connectClient('redis', redis.url), connectClient('redis', redis.url)]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all(connections.map((c) => c.close()));
    await Promise.all([redis?.stop(), provider?.close()]);
  }, 30_000);

  it('makes sessions on first use, one per (client, audience, scope) with its own key and generation, and one grant per key for both processes', async () => {
    const [one, two] = connections.map((c) => machineSessionsOf(c.client, provider.tokenUrl));
    const before = provider.tokenCalls.length;
    const call = (session: TokenSession, n: number) => {
      const api = createHttpClient({ baseUrl: provider.apiUrl, session, retry: false });
      return Promise.all(Array.from({ length: n }, (_, i) => firstValueFrom(api.get<{ sub: string }>(`/partner/${i}`))));
    };

    // Made on first use, and the same session for the same triple, whatever the scope order.
    const read = one!.machineSession('billing', API_RESOURCE, 'api:read');
    expect(one!.machineSession('billing', API_RESOURCE, ' api:read ')).toBe(read);
    expect(one!.machineSession('billing', API_RESOURCE, 'api:write api:read')).toBe(one!.machineSession('billing', API_RESOURCE, 'api:read api:write'));
    expect(provider.tokenCalls.length).toBe(before); // no request yet: no grant

    // Process one first: one grant per key it uses.
    const answers = [
      ...(await call(read, 10)),
      ...(await call(one!.machineSession('billing', API_RESOURCE, 'api:read api:write'), 10)),
      ...(await call(one!.machineSession('reports', API_RESOURCE, 'api:read'), 10)),
    ];
    // Process two, after: it adopts the shared tokens of each key, with no grant of its own.
    answers.push(
      ...(await call(two!.machineSession('billing', API_RESOURCE, 'api:read'), 10)),
      ...(await call(two!.machineSession('billing', API_RESOURCE, 'api:write api:read'), 10)),
      ...(await call(two!.machineSession('reports', API_RESOURCE, 'api:read'), 10)),
    );

    expect(answers.map((a) => a.sub)).toEqual([...Array(20).fill(CLIENTS.basic.clientId), ...Array(10).fill(CLIENTS.post.clientId), ...Array(20).fill(CLIENTS.basic.clientId), ...Array(10).fill(CLIENTS.post.clientId)]);
    expect(provider.tokenCalls.slice(before).map((c) => [c.grantType, c.clientId, c.status])).toEqual([
      ['client_credentials', CLIENTS.basic.clientId, 200],
      ['client_credentials', CLIENTS.basic.clientId, 200],
      ['client_credentials', CLIENTS.post.clientId, 200],
    ]);
    const keys = [...one!.machineSessions.keys()];
    expect(keys).toEqual([`machine:billing:${API_RESOURCE}:api:read`, `machine:billing:${API_RESOURCE}:api:read api:write`, `machine:reports:${API_RESOURCE}:api:read`]);
    // Each key its own state in Redis, and its own generation, the same in both processes.
    for (const key of keys) {
      expect(await redis.command('HGET', `{${key}}:state`, 'd')).toContain(one!.machineSessions.get(key)!.state.tokens!.accessToken as string);
      expect(two!.machineSessions.get(key)!.state).toMatchObject({ generation: 1, tokens: one!.machineSessions.get(key)!.state.tokens });
    }
    expect(new Set(keys.map((key) => one!.machineSessions.get(key)!.state.tokens!.accessToken)).size).toBe(3);

    for (const holder of [one!, two!]) for (const session of holder.machineSessions.values()) session.dispose();
  }, 60_000);
});
