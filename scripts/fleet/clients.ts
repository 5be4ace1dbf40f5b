import { Redis } from 'ioredis';
import { createClient } from 'redis';
import type { RedisClientLike } from '../../lib/redis/index.js';

/** A connected client of one library, and how to close it. */
export interface TestClient {
  readonly client: RedisClientLike;
  close(): Promise<void>;
}

export type Library = 'redis' | 'ioredis';
export const LIBRARIES: readonly Library[] = ['redis', 'ioredis'];

/** Connects a client of `library` to `url`, reconnecting quickly (the specs stop and restart Redis). */
export async function connectClient(library: Library, url: string): Promise<TestClient> {
  if (library === 'redis') {
    const client = createClient({ url, socket: { reconnectStrategy: (retries: number) => Math.min(50 + retries * 50, 300) } });
    client.on('error', () => undefined);
    await client.connect();
    return { client, close: async () => client.destroy() };
  }
  const client = new Redis(url, { retryStrategy: (times: number) => Math.min(50 + times * 50, 300), maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    client.once('ready', () => resolve());
    client.once('end', () => reject(new Error('ioredis could not connect')));
  });
  return {
    client,
    close: async () => {
      if (client.status === 'end') return;
      const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
      client.disconnect();
      await ended;
    },
  };
}
