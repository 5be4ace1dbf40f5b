// lib/testing/fake-server/abortable-wait.ts: a hanging request answers its abort, even once only its signal holds it.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { post, refreshRequestWith, signedIn } from './fake-server-fixtures.js';

describe('createFakeAuthorizationServer attack scripts', () => {
  describe('when a hanging request is no longer referenced by anyone but its signal', () => {
    it('still rejects on abort after a garbage collection', async () => {
      // undici's Request.signal follows its input signal only while the Request is alive (a WeakRef):
      // this failed about one run in three under load before the fake held hanging requests itself.
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as () => void;
      const { server, refreshToken } = signedIn();
      server.failTokenRequests(1, 'hang');
      server.failRevocationRequests(1, 'hang');
      const controller = new AbortController();

      const token = server.handle(refreshRequestWith(refreshToken, controller.signal));
      const revocation = server.handle(post('/oauth/revoke', { token: refreshToken }, { signal: controller.signal }));
      for (let i = 0; i < 3; i++) {
        gc();
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      controller.abort();

      await expect(token).rejects.toMatchObject({ name: 'AbortError' });
      await expect(revocation).rejects.toMatchObject({ name: 'AbortError' });
    });
  });
});
