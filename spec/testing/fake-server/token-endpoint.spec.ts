// lib/testing/fake-server/token-endpoint.ts: what the fake's token endpoint accepts as a request.
import { describe, expect, it } from 'vitest';
import { createFakeAuthorizationServer } from '../../../lib/testing/fake-authorization-server.js';
import { ORIGIN, realTimersAfterEach, refresh } from '../fake-authorization-server-fixtures.js';

describe('createFakeAuthorizationServer', () => {
  realTimersAfterEach();

  describe('when the token request is malformed', () => {
    it.each([
      ['an unsupported grant_type', { grant_type: 'password' }, 'unsupported_grant_type'],
      ['no grant_type', { grant_type: '' }, 'invalid_request'],
      ['no refresh_token', { refresh_token: '' }, 'invalid_request'],
      ['an unknown refresh_token', { refresh_token: 'never-issued' }, 'invalid_grant'],
    ])('answers 400 for %s', async (_, form, error) => {
      const server = createFakeAuthorizationServer();
      const { refreshToken } = server.signIn();

      const { response, body } = await refresh(server, refreshToken, { form });

      expect(response.status).toBe(400);
      expect(body).toEqual({ error, error_description: expect.any(String) });
      expect(response.headers.get('cache-control')).toBe('no-store');
    });

    it('answers invalid_request for a JSON body', async () => {
      const server = createFakeAuthorizationServer();
      const { refreshToken } = server.signIn();
      const request = new Request(`${ORIGIN}/oauth/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ grant_type: 'refresh_token', refresh_token: refreshToken }),
      });

      const response = await server.handle(request);

      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'invalid_request' });
    });

    it('answers 405 to a GET on the token endpoint', async () => {
      const server = createFakeAuthorizationServer();

      const response = await server.handle(new Request(`${ORIGIN}/oauth/token`));

      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('POST');
    });
  });
});
