import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { lastValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { oauth2RefreshGrant } from '../../lib/oauth2/oauth2-refresh-grant.js';
import { TokenRefreshError } from '../../lib/errors/token-refresh-error.js';
import { createTokenSession } from '../../lib/session/create-token-session.js';

// Real sockets on 127.0.0.1 rather than msw: what matters is what the platform's fetch does
// with a redirect, and msw would stand in for it.
describe('oauth2RefreshGrant', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  });

  async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
    const server = createServer(handler);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  describe('when the token endpoint answers with a 307 to another origin', () => {
    it('fails at once with a non-transient error, without sending the refresh token there or retrying', async () => {
      const bodies: string[] = [];
      let tokenCalls = 0;
      const elsewhere = await listen((req, res) => {
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk.toString()));
        req.on('end', () => {
          bodies.push(body);
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"access_token":"stolen"}');
        });
      });
      const tokenHost = await listen((_req, res) => {
        tokenCalls++;
        res.writeHead(307, { location: `http://localhost:${elsewhere.split(':')[1]}/collect` }).end();
      });

      const refresh = oauth2RefreshGrant({ tokenUrl: `http://${tokenHost}/oauth/token` });
      const error = await lastValueFrom(refresh('refresh-secret')).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(TokenRefreshError);
      expect(error).toMatchObject({ reason: 'invalid-response', transient: false });
      expect((error as Error).message).toMatch(/redirect \(307\).*final URL/);
      expect(bodies).toEqual([]);

      // Through a session: one call, no backoff retries, the tokens kept.
      const session = createTokenSession({ tokens: { accessToken: 'a', refreshToken: 'refresh-secret' }, refresh });
      const viaSession = await lastValueFrom(session.refresh$).catch((e: unknown) => e);
      expect(viaSession).toMatchObject({ reason: 'invalid-response' });
      expect(tokenCalls).toBe(2);
      expect(session.state.tokens?.refreshToken).toBe('refresh-secret');
      session.dispose();
    });
  });
});
