import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { lastValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpError } from '../../lib/errors/request-error.js';
import { TokenRefreshError } from '../../lib/errors/token-refresh-error.js';
import { ENDPOINT_MAX_BODY_BYTES } from '../../lib/oauth2/endpoint-request.js';
import { oauth2RefreshGrant } from '../../lib/oauth2/oauth2-refresh-grant.js';
import { oauth2Revocation } from '../../lib/oauth2/oauth2-revocation.js';

// Issue 21 item 7: a 64 MB token endpoint body was read whole (+237 MB of memory). Real
// node:http servers stream it in 64 KiB chunks, honouring backpressure, and count what they sent.
const MIB = 1_048_576;
const HUGE = 64 * MIB;

interface Stream {
  sent: number;
  finished: boolean;
  closed: Promise<void>;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A server that answers every request with `status` and a `HUGE`-byte body (declared, or chunked). */
async function hugeBodyServer(status: number, declared: boolean): Promise<{ url: string; stream: Stream }> {
  let closed!: () => void;
  const stream: Stream = { sent: 0, finished: false, closed: new Promise((resolve) => (closed = resolve)) };
  const server = createServer((req, res) => {
    req.resume();
    res.on('close', closed);
    res.writeHead(status, { 'content-type': 'application/json', ...(declared ? { 'content-length': String(HUGE) } : {}) });
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const pump = (): void => {
      while (stream.sent < HUGE && !res.destroyed) {
        stream.sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      if (!res.destroyed) res.end(() => (stream.finished = true));
    };
    pump();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth`, stream };
}

async function failure(source: Promise<unknown>): Promise<unknown> {
  return source.then(
    () => expect.unreachable('expected an error'),
    (error: unknown) => error,
  );
}

describe('the token and revocation endpoints', () => {
  it('cap bodies at 1 MiB', () => {
    expect(ENDPOINT_MAX_BODY_BYTES).toBe(MIB);
  });

  describe.each([
    ['streamed without a length', false],
    ['declared by Content-Length', true],
  ])('when the token endpoint sends a 64 MB body (%s)', (_how, declared) => {
    it('fails with TokenRefreshError invalid-response naming the cap, and stops reading: the server never sends it all', async () => {
      const { url, stream } = await hugeBodyServer(200, declared);
      const refresh = oauth2RefreshGrant({ tokenUrl: url, clientId: 'web' });

      const error = await failure(lastValueFrom(refresh('rt-1')));
      await stream.closed;

      expect(error).toBeInstanceOf(TokenRefreshError);
      expect(error).toMatchObject({ reason: 'invalid-response', transient: false });
      expect((error as Error).message).toMatch(/with a body larger than the 1 MiB cap \(1048576 bytes\): reading stopped/);
      expect((error as Error).message).not.toContain('rt-1');
      expect(stream.finished).toBe(false);
      // What the kernel buffers on loopback, at most; the body is 64 MiB.
      expect(stream.sent).toBeLessThan(16 * MIB);
    });
  });

  describe('when the revocation endpoint sends a 64 MB body', () => {
    it('reads no further than the cap: a 2xx still revokes, another status is an HttpError naming the cap', async () => {
      const ok = await hugeBodyServer(200, false);
      const refused = await hugeBodyServer(400, false);

      await expect(lastValueFrom(oauth2Revocation({ revocationUrl: ok.url, clientId: 'web' })('rt-1'), { defaultValue: 'done' })).resolves.toBeUndefined();
      const error = await failure(lastValueFrom(oauth2Revocation({ revocationUrl: refused.url, clientId: 'web' })('rt-1')));
      await Promise.all([ok.stream.closed, refused.stream.closed]);

      expect(error).toBeInstanceOf(HttpError);
      expect(error).toMatchObject({ status: 400, body: undefined });
      expect((error as Error).message).toMatch(/answered 400 with a body larger than the 1 MiB cap \(1048576 bytes\): reading stopped/);
      for (const { stream } of [ok, refused]) {
        expect(stream.finished).toBe(false);
        expect(stream.sent).toBeLessThan(16 * MIB);
      }
    });
  });

  describe('when a token response is just under the cap', () => {
    it('is read and parsed as before', async () => {
      const padding = 'x'.repeat(MIB - 200);
      const server = createServer((req, res) => {
        req.resume();
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ access_token: 'at-2', token_type: 'Bearer', padding }));
      });
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const refresh = oauth2RefreshGrant({ tokenUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`, clientId: 'web' });

      await expect(lastValueFrom(refresh('rt-1'))).resolves.toEqual({ accessToken: 'at-2' });
    });
  });
});

describe('the clientAuthentication option', () => {
  it.each([
    ['clientId', { clientId: 'web' }],
    ['clientSecret', { clientSecret: 's3cret-value' }],
  ])('throws a TypeError at once when %s is passed too, quoting no secret', async (_field, legacy) => {
    const { clientSecretPost } = await import('../../lib/oauth2/client-secret.js');
    const clientAuthentication = clientSecretPost({ clientId: 'svc', clientSecret: 'other-secret' });
    for (const make of [
      () => oauth2RefreshGrant({ tokenUrl: 'https://auth.example.test/token', clientAuthentication, ...legacy }),
      () => oauth2Revocation({ revocationUrl: 'https://auth.example.test/revoke', clientAuthentication, ...legacy }),
    ]) {
      expect(make).toThrow(TypeError);
      expect(make).toThrow('with clientAuthentication, leave out clientId and clientSecret');
      expect(make).not.toThrow(/s3cret|other-secret/);
    }
  });
});
