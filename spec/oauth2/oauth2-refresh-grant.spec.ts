import { inspect } from 'node:util';
import { http, HttpResponse } from 'msw';
import { lastValueFrom, type SchedulerLike } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { HttpError, NetworkError } from '../../lib/errors/request-error.js';
import { TokenRefreshError } from '../../lib/errors/token-refresh-error.js';
import { TokenRevokedError } from '../../lib/errors/token-revoked-error.js';
import { oauth2RefreshGrant } from '../../lib/oauth2/oauth2-refresh-grant.js';
import { createTokenSession } from '../../lib/session/create-token-session.js';
import type { SessionEvent } from '../../lib/session/session-event.js';
import { errorOf } from '../helpers/outcomes.js';
import { expectNoSecrets, grant, server, TOKEN_URL, tokenEndpoint, useTokenServer } from './token-endpoint-fixtures.js';

useTokenServer();

/** RFC 6749 Appendix B: application/x-www-form-urlencoded, as URLSearchParams writes it. */
function formEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}

/** RFC 6749 Appendix B decoding, as a token endpoint reads Basic credentials. */
function formDecode(value: string): string {
  return new URLSearchParams(`x=${value}`).get('x') ?? '';
}

describe('oauth2RefreshGrant', () => {
  describe('when the token endpoint answers a token response', () => {
    it('posts grant_type=refresh_token form-encoded to the token URL and emits the token set', async () => {
      const seen = tokenEndpoint(() => HttpResponse.json({ access_token: 'a2', token_type: 'Bearer', refresh_token: 'r2' }));

      await expect(lastValueFrom(grant()('r1'))).resolves.toEqual({ accessToken: 'a2', refreshToken: 'r2' });

      expect(seen).toEqual([
        {
          method: 'POST',
          url: TOKEN_URL,
          contentType: 'application/x-www-form-urlencoded',
          accept: 'application/json',
          authorization: null,
          form: { grant_type: 'refresh_token', refresh_token: 'r1' },
        },
      ]);
    });

    it('leaves the refresh token out when none is returned, and the session keeps the old one (rule 4)', async () => {
      tokenEndpoint(() => HttpResponse.json({ access_token: 'a2', token_type: 'Bearer' }));

      await expect(lastValueFrom(grant()('r1'))).resolves.toEqual({ accessToken: 'a2' });
      const session = createTokenSession({ tokens: { accessToken: 'a1', refreshToken: 'r1' }, refresh: grant() });
      await expect(lastValueFrom(session.refresh$)).resolves.toEqual({ accessToken: 'a2', refreshToken: 'r1' });
      session.dispose();
    });

    it('reads a JWT exp by the server clock of the Date header: a client clock 10 min ahead does not shorten the token', async () => {
      const exp = Math.floor(Date.parse('2026-01-01T00:10:00Z') / 1000);
      const jwt = `e30.${btoa(JSON.stringify({ exp })).replace(/=+$/, '')}.sig`;
      tokenEndpoint(() => HttpResponse.json({ access_token: jwt }, { headers: { date: 'Thu, 01 Jan 2026 00:00:00 GMT' } }));
      const clientNow = Date.parse('2026-01-01T00:10:00Z'); // 10 minutes ahead of the server
      const refresh = oauth2RefreshGrant({ tokenUrl: TOKEN_URL, scheduler: { now: () => clientNow } as SchedulerLike });

      const set = await lastValueFrom(refresh('r1'));

      expect(set.expiresAt).toBe(clientNow + 10 * 60_000);
    });

    it.each([
      ['a number', 3600],
      ['a numeric string', '3600'],
    ])('turns expires_in given as %s into expiresAt on the injected clock', async (_kind, expiresIn) => {
      tokenEndpoint(() => HttpResponse.json({ access_token: 'a2', refresh_token: 'r2', expires_in: expiresIn }));

      await expect(lastValueFrom(grant()('r1'))).resolves.toEqual({ accessToken: 'a2', refreshToken: 'r2', expiresAt: 1_000 + 3_600_000 });
    });

    it('is lazy: nothing is sent before subscribe', async () => {
      const seen = tokenEndpoint(() => HttpResponse.json({ access_token: 'a2' }));

      const refresh$ = grant()('r1');
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(seen).toHaveLength(0);

      await lastValueFrom(refresh$);
      expect(seen).toHaveLength(1);
    });
  });

  describe('when the client is public', () => {
    it('sends client_id in the body and no Authorization header', async () => {
      const seen = tokenEndpoint(() => HttpResponse.json({ access_token: 'a2' }));

      await lastValueFrom(grant({ clientId: 'spa' })('r1'));

      expect(seen[0]!.form).toEqual({ grant_type: 'refresh_token', refresh_token: 'r1', client_id: 'spa' });
      expect(seen[0]!.authorization).toBeNull();
    });
  });

  describe('when the client has a secret', () => {
    it('sends HTTP Basic credentials and no client_id or secret in the body', async () => {
      const seen = tokenEndpoint(() => HttpResponse.json({ access_token: 'a2' }));

      await lastValueFrom(grant({ clientId: 'backend', clientSecret: 's3cret' })('r1'));

      expect(seen[0]!.authorization).toBe(`Basic ${btoa('backend:s3cret')}`);
      expect(seen[0]!.form).toEqual({ grant_type: 'refresh_token', refresh_token: 'r1' });
    });

    it('form-encodes id and secret with special characters, so the server decodes them back (RFC 6749 §2.3.1)', async () => {
      const seen = tokenEndpoint(() => HttpResponse.json({ access_token: 'a2' }));
      const clientId = 'my client:1';
      const clientSecret = 'p@ss:wörd/+%&=';

      await lastValueFrom(grant({ clientId, clientSecret })('r1'));

      const credentials = atob(seen[0]!.authorization!.replace(/^Basic /, ''));
      const [id, secret] = credentials.split(':');
      expect(credentials.split(':')).toHaveLength(2);
      expect(formDecode(id!)).toBe(clientId);
      expect(formDecode(secret!)).toBe(clientSecret);
    });

    it("encodes exactly as Appendix B's application/x-www-form-urlencoded does (space as '+', ! ' ( ) ~ escaped)", async () => {
      const seen = tokenEndpoint(() => HttpResponse.json({ access_token: 'a2' }));
      const clientId = 'my client';
      const clientSecret = "it's (very) secret!~";

      await lastValueFrom(grant({ clientId, clientSecret })('r1'));

      expect(seen[0]!.authorization).toBe(`Basic ${btoa(`${formEncode(clientId)}:${formEncode(clientSecret)}`)}`);
      expect(atob(seen[0]!.authorization!.replace(/^Basic /, ''))).toBe("my+client:it%27s+%28very%29+secret%21%7E");
    });
  });

  describe('when scope and extra params are configured', () => {
    it('sends them in the form', async () => {
      const seen = tokenEndpoint(() => HttpResponse.json({ access_token: 'a2' }));

      await lastValueFrom(grant({ clientId: 'spa', scope: 'read write', extraParams: { resource: 'https://api.example.test/' } })('r1'));

      expect(seen[0]!.form).toEqual({
        grant_type: 'refresh_token',
        refresh_token: 'r1',
        client_id: 'spa',
        scope: 'read write',
        resource: 'https://api.example.test/',
      });
    });
  });

  describe('when the token endpoint answers invalid_grant', () => {
    it('errors with TokenRevokedError whose cause is the HttpError', async () => {
      tokenEndpoint(() => HttpResponse.json({ error: 'invalid_grant', error_description: 'refresh token revoked' }, { status: 400 }));

      const error = await errorOf(grant()('r1'));

      expect(error).toBeInstanceOf(TokenRevokedError);
      expect(error).toMatchObject({ code: 'TOKEN_REVOKED' });
      const cause = (error as Error).cause;
      expect(cause).toBeInstanceOf(HttpError);
      expect(cause).toMatchObject({ status: 400, method: 'POST', url: TOKEN_URL, body: { error: 'invalid_grant', error_description: 'refresh token revoked' } });
      expectNoSecrets(error, ['r1']);
    });
  });

  describe('when the token endpoint answers a configuration error', () => {
    it.each([
      ['invalid_client', 401],
      ['unauthorized_client', 400],
      ['invalid_request', 400],
      ['unsupported_grant_type', 400],
      ['invalid_scope', 400],
    ])('%s: errors with a non-transient TokenRefreshError naming the code', async (code, status) => {
      tokenEndpoint(() => HttpResponse.json({ error: code }, { status }));

      const error = await errorOf(grant({ clientId: 'backend', clientSecret: 'topsecret' })('r1'));

      expect(error).toBeInstanceOf(TokenRefreshError);
      expect(error).toMatchObject({ code: 'REFRESH_FAILED', transient: false, oauthError: code });
      expect((error as Error).message).toContain(code);
      expect((error as Error).cause).toBeInstanceOf(HttpError);
      expectNoSecrets(error, ['r1', 'topsecret', btoa('backend:topsecret')]);
    });

    it.each([
      [{ error: 'invalid_client' }, 401, 'The token endpoint refused the refresh: invalid_client (status 401)'],
      [{ error: 'slow_down' }, 400, 'The token endpoint refused the refresh: slow_down (status 400)'],
      [{ detail: 'no OAuth code' }, 403, 'The token endpoint refused the refresh: status 403'],
    ])('names the code and the status alike for every code, and the status alone without one (%j)', async (body, status, message) => {
      tokenEndpoint(() => HttpResponse.json(body, { status }));

      const error = await errorOf(grant()('r1'));

      expect(error).toBeInstanceOf(TokenRefreshError);
      expect((error as Error).message).toBe(message);
    });
  });

  describe('when the token endpoint fails transiently', () => {
    it.each([500, 503, 429])('%i: errors with the HttpError, so the session retries', async (status) => {
      tokenEndpoint(() => HttpResponse.text('try later', { status }));

      const error = await errorOf(grant()('r1'));

      expect(error).toBeInstanceOf(HttpError);
      expect(error).toMatchObject({ status, method: 'POST', url: TOKEN_URL });
      expectNoSecrets(error, ['r1']);
    });

    it('errors with a NetworkError when no response comes', async () => {
      tokenEndpoint(() => HttpResponse.error());

      const error = await errorOf(grant()('r1'));

      expect(error).toBeInstanceOf(NetworkError);
      expect(error).toMatchObject({ method: 'POST', url: TOKEN_URL });
      expectNoSecrets(error, ['r1']);
    });
  });
  describe('when refreshing', () => {
    it('sends the refresh token only to the token URL, in the body', async () => {
      const everywhere: { url: string; authorization: string | null; body: string }[] = [];
      const listener = async ({ request }: { request: Request }) => {
        everywhere.push({ url: request.url, authorization: request.headers.get('authorization'), body: await request.clone().text() });
      };
      server.events.on('request:start', listener);
      tokenEndpoint(() => HttpResponse.json({ access_token: 'a2', refresh_token: 'r2' }));

      try {
        await lastValueFrom(grant({ clientId: 'spa', scope: 'read' })('r1-unique'));
      } finally {
        server.events.removeListener('request:start', listener);
      }
      // Let the async listener finish reading the body.
      await new Promise((resolve) => setTimeout(resolve, 0));

      expect(everywhere).toHaveLength(1);
      expect(everywhere[0]!.url).toBe(TOKEN_URL);
      expect(everywhere[0]!.url).not.toContain('r1-unique');
      expect(everywhere[0]!.authorization).toBeNull();
      expect(everywhere[0]!.body).toContain('refresh_token=r1-unique');
    });
  });
});

// Secrets in what the token endpoint answers and in the config (issue 8; these were in secrets-and-revocation.spec.ts).
const REFRESH = 'rt+/secret=value';
const SECRET = 'client-secret-1';

describe('oauth2RefreshGrant', () => {
  describe('when the token endpoint echoes the posted form in its error body', () => {
    it.each([
      ['as text', (form: string) => new HttpResponse(`bad request: ${form}`, { status: 400 })],
      ['as JSON', (form: string) => HttpResponse.json({ error: 'invalid_request', received: Object.fromEntries(new URLSearchParams(form)) }, { status: 400 })],
      ['on a 503', (form: string) => new HttpResponse(`busy, try again: ${form}`, { status: 503 })],
    ])('keeps the refresh token and the client secret out of the error, its cause chain and the events (%s)', async (_kind, answer) => {
      server.use(http.post(TOKEN_URL, async ({ request }) => answer(await request.text())));
      const refresh = oauth2RefreshGrant({ tokenUrl: TOKEN_URL, clientId: 'web', clientSecret: SECRET });
      const session = createTokenSession({ tokens: { accessToken: 'at', refreshToken: REFRESH }, refresh, refreshRetry: { maxRetries: 0 } });
      const events: SessionEvent[] = [];
      session.events$.subscribe((e) => events.push(e));

      const error = await lastValueFrom(session.refresh$).catch((e: unknown) => e);

      const printed = `${inspect(error, { depth: 10 })}\n${inspect(events, { depth: 10 })}\n${JSON.stringify(events)}`;
      for (const secret of [REFRESH, encodeURIComponent(REFRESH), SECRET]) expect(printed).not.toContain(secret);
      expect(printed).toContain('***');
      session.dispose();
    });
  });

  describe('when tokenUrl carries credentials', () => {
    it('throws a TypeError at once that names the fix and quotes no credential', () => {
      const call = () => oauth2RefreshGrant({ tokenUrl: 'https://web:hunter2@auth.example.test/oauth/token' });
      expect(call).toThrow(TypeError);
      expect(call).toThrow(/must not contain credentials.*clientSecret/);
      expect(call).not.toThrow(/hunter2/);
    });
  });

  describe('when tokenUrl is not a URL', () => {
    it.each([undefined, '', '/oauth/token', 42])('throws a TypeError for %s', (tokenUrl) => {
      expect(() => oauth2RefreshGrant({ tokenUrl: tokenUrl as string })).toThrow(TypeError);
    });
    it('throws a TypeError for a missing config', () => {
      expect(() => oauth2RefreshGrant(undefined as never)).toThrow(/pass a config object/);
    });
  });
});
