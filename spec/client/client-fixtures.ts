// What the client specs share: the origins they call, an msw server (Node's fetch, intercepted),
// a client on BASE that does not retry unless told, and a check that an error quotes no secret.
import { inspect } from 'node:util';
import { setupServer, type SetupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { createHttpClient, type HttpClientConfig } from '../../lib/client/create-http-client.js';

export const ORIGIN = 'https://api.example.test';
export const BASE = `${ORIGIN}/v1`;
export const FILES = 'https://files.example.test';
export const OTHER = 'https://elsewhere.example.test';
/** A secret that must appear in no error. */
export const SECRET = 'sEcReT-9f3a';

/** An msw server for the calling spec file: listening during its tests, its handlers reset after each. */
export function useMswServer(): SetupServer {
  const server = setupServer();
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterEach(() => server.resetHandlers());
  afterAll(() => server.close());
  return server;
}

export function client(config: Partial<HttpClientConfig> = {}) {
  return createHttpClient({ baseUrl: BASE, retry: false, ...config });
}

/** Fails when `secret` is in any rendering of `error` (message, String, inspect, JSON). */
export function expectNotIn(error: unknown, secret: string): void {
  for (const text of [String(error), (error as Error).message, inspect(error, { depth: 8 }), JSON.stringify(error)]) expect(text).not.toContain(secret);
}
