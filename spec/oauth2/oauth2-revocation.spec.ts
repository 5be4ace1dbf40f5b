// lib/oauth2/oauth2-revocation.ts: RFC 7009 revocation at the server, alone and through
// signOut({ revoke: true }).
import { inspect } from 'node:util';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { lastValueFrom } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { oauth2RefreshGrant } from '../../lib/oauth2/oauth2-refresh-grant.js';
import { oauth2Revocation } from '../../lib/oauth2/oauth2-revocation.js';
import { createTokenSession } from '../../lib/session/create-token-session.js';

const TOKEN_URL = 'https://auth.example.test/oauth/token';
const REVOKE_URL = 'https://auth.example.test/oauth/revoke';
const REFRESH = 'rt+/secret=value';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

describe('oauth2Revocation', () => {
  it('posts the refresh token with its type hint, as the client, and emits once on 200 (RFC 7009)', async () => {
    const forms: Record<string, string>[] = [];
    const auth: (string | null)[] = [];
    server.use(
      http.post(REVOKE_URL, async ({ request }) => {
        forms.push(Object.fromEntries(new URLSearchParams(await request.text())));
        auth.push(request.headers.get('authorization'));
        return new HttpResponse(null, { status: 200 });
      }),
    );

    await lastValueFrom(oauth2Revocation({ revocationUrl: REVOKE_URL, clientId: 'web' })('r1'));

    expect(forms).toEqual([{ token: 'r1', token_type_hint: 'refresh_token', client_id: 'web' }]);
    expect(auth).toEqual([null]);
  });

  it('fails with an HttpError that quotes no token when the server refuses', async () => {
    server.use(http.post(REVOKE_URL, async ({ request }) => new HttpResponse(`nope: ${await request.text()}`, { status: 400 })));
    const error = await lastValueFrom(oauth2Revocation({ revocationUrl: REVOKE_URL })(REFRESH)).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'HttpError', status: 400 });
    expect(inspect(error, { depth: 10 })).not.toContain(encodeURIComponent(REFRESH));
  });

  describe('through signOut({ revoke: true })', () => {
    it('signs out at once and revokes the refresh token in the background', async () => {
      let release!: () => void;
      const answered = new Promise<void>((resolve) => (release = resolve));
      const revoked: string[] = [];
      server.use(
        http.post(REVOKE_URL, async ({ request }) => {
          revoked.push(new URLSearchParams(await request.text()).get('token') ?? '');
          await answered;
          return new HttpResponse(null, { status: 200 });
        }),
      );
      const session = createTokenSession({
        tokens: { accessToken: 'a1', refreshToken: 'r1' },
        refresh: oauth2RefreshGrant({ tokenUrl: TOKEN_URL }),
        revoke: oauth2Revocation({ revocationUrl: REVOKE_URL }),
      });

      session.signOut({ revoke: true });

      expect(session.state.tokens).toBeNull(); // before the server answered
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(revoked).toEqual(['r1']);
      release();
      session.dispose();
    });

    it('still signs out when the revocation endpoint is down', async () => {
      server.use(http.post(REVOKE_URL, () => HttpResponse.error()));
      const session = createTokenSession({
        tokens: { accessToken: 'a1', refreshToken: 'r1' },
        refresh: oauth2RefreshGrant({ tokenUrl: TOKEN_URL }),
        revoke: oauth2Revocation({ revocationUrl: REVOKE_URL }),
      });
      expect(() => session.signOut({ revoke: true })).not.toThrow();
      expect(session.state.tokens).toBeNull();
      await new Promise((resolve) => setTimeout(resolve, 20));
      session.dispose();
    });

    // Issue 21 item 7: it used to throw before signing out, and the user stayed signed in.
    it('signs out, then throws a TypeError, when no revoke function is configured', () => {
      const session = createTokenSession({ tokens: { accessToken: 'a1', refreshToken: 'r1' }, refresh: oauth2RefreshGrant({ tokenUrl: TOKEN_URL }) });
      expect(() => session.signOut({ revoke: true })).toThrow(/needs `revoke`.*oauth2Revocation/);
      expect(session.state.tokens).toBeNull();
      session.dispose();
    });
  });
});
