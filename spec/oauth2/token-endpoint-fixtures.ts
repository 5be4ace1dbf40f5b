// What the token endpoint's specs share: an msw token endpoint that records what it receives,
// a frozen clock, the grant pointed at it, and the check that an error shows no secret.
import { inspect } from 'node:util';
import { http } from 'msw';
import { setupServer } from 'msw/node';
import { asyncScheduler, type SchedulerLike } from 'rxjs';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { oauth2RefreshGrant, type OAuth2RefreshGrantConfig } from '../../lib/oauth2/oauth2-refresh-grant.js';

export const TOKEN_URL = 'https://auth.example.test/oauth/token';

/** One msw server per spec file; call `useTokenServer()` at the file's top to run it. */
export const server = setupServer();

export function useTokenServer(): void {
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterEach(() => server.resetHandlers());
  afterAll(() => server.close());
}

/** A clock frozen at 1 000 ms; timers go to the real async scheduler. */
export const clock: SchedulerLike = {
  now: () => 1_000,
  schedule: asyncScheduler.schedule.bind(asyncScheduler),
};

export interface Seen {
  method: string;
  url: string;
  contentType: string | null;
  accept: string | null;
  authorization: string | null;
  form: Record<string, string>;
}

/** Answers the token endpoint with `answer` and records what it received. */
export function tokenEndpoint(answer: () => Response): Seen[] {
  const seen: Seen[] = [];
  server.use(
    http.post(TOKEN_URL, async ({ request }) => {
      seen.push({
        method: request.method,
        url: request.url,
        contentType: request.headers.get('content-type'),
        accept: request.headers.get('accept'),
        authorization: request.headers.get('authorization'),
        form: Object.fromEntries(new URLSearchParams(await request.text())),
      });
      return answer();
    }),
  );
  return seen;
}

export function grant(config: Partial<OAuth2RefreshGrantConfig> = {}) {
  return oauth2RefreshGrant({ tokenUrl: TOKEN_URL, scheduler: clock, ...config });
}

export function expectNoSecrets(error: unknown, secrets: readonly string[]): void {
  const renderings = [JSON.stringify(error), String(error), (error as Error).message, inspect(error, { depth: 6 })];
  for (const text of renderings) for (const secret of secrets) expect(text).not.toContain(secret);
}
