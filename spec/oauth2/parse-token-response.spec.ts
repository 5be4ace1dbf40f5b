// lib/oauth2/parse-token-response.ts: what a token response must hold, through the grant that reads it.
import { inspect } from 'node:util';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { asyncScheduler, type SchedulerLike } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TokenRefreshError } from '../../lib/errors/token-refresh-error.js';
import { oauth2RefreshGrant, type OAuth2RefreshGrantConfig } from '../../lib/oauth2/oauth2-refresh-grant.js';
import { errorOf } from '../helpers/outcomes.js';

const TOKEN_URL = 'https://auth.example.test/oauth/token';

const server = setupServer();

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

/** A clock frozen at 1 000 ms; timers go to the real async scheduler. */
const clock: SchedulerLike = {
  now: () => 1_000,
  schedule: asyncScheduler.schedule.bind(asyncScheduler),
};

interface Seen {
  method: string;
  url: string;
  contentType: string | null;
  accept: string | null;
  authorization: string | null;
  form: Record<string, string>;
}

/** Answers the token endpoint with `answer` and records what it received. */
function tokenEndpoint(answer: () => Response): Seen[] {
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

function grant(config: Partial<OAuth2RefreshGrantConfig> = {}) {
  return oauth2RefreshGrant({ tokenUrl: TOKEN_URL, scheduler: clock, ...config });
}

function expectNoSecrets(error: unknown, secrets: readonly string[]): void {
  const renderings = [JSON.stringify(error), String(error), (error as Error).message, inspect(error, { depth: 6 })];
  for (const text of renderings) for (const secret of secrets) expect(text).not.toContain(secret);
}

describe('oauth2RefreshGrant', () => {
  describe('when the answer is not a valid token response', () => {
    it.each([
      ['an HTML page', () => HttpResponse.html('<html><body>Sign in</body></html>'), /not JSON.*text\/html/],
      ['a JSON array', () => HttpResponse.json([{ access_token: 'a2-secret' }]), /not an object/],
      ['no access_token', () => HttpResponse.json({ token_type: 'Bearer', refresh_token: 'r2-secret' }), /no access_token/],
      ['a numeric access_token', () => HttpResponse.json({ access_token: 12345 }), /access_token/],
      ['a numeric refresh_token', () => HttpResponse.json({ access_token: 'a2-secret', refresh_token: 67890 }), /refresh_token/],
      ['an expires_in of "abc"', () => HttpResponse.json({ access_token: 'a2-secret', expires_in: 'abc' }), /expires_in/],
    ])('errors for %s with a non-transient TokenRefreshError naming the problem', async (_name, answer, problem) => {
      tokenEndpoint(answer);

      const error = await errorOf(grant()('r1-old'));

      expect(error).toBeInstanceOf(TokenRefreshError);
      expect(error).toMatchObject({ transient: false });
      expect((error as Error).message).toMatch(problem);
      expectNoSecrets(error, ['r1-old', 'a2-secret', 'r2-secret', '12345', '67890']);
    });

    it('errors for an empty-string expires_in rather than reading it as 0 s (an always-expired token)', async () => {
      tokenEndpoint(() => HttpResponse.json({ access_token: 'a2', expires_in: '' }));

      const error = await errorOf(grant()('r1'));

      expect(error).toBeInstanceOf(TokenRefreshError);
      expect((error as Error).message).toMatch(/expires_in/);
    });
  });
});
