// A real node:http token endpoint for the specs of issue 21 item 3.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A token endpoint with strict rotation and reuse detection: the presented refresh token is
 * retired the moment the request arrives; the answer is sent `delay` ms later, to a client that
 * may have gone (as a real server that already committed the rotation).
 */
export async function startRotatingEndpoint(delay: number) {
  const family = { next: 1, live: 'rt-0', revoked: false };
  const stats = { calls: 0, reuse: 0, arrived: [] as string[] };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const presented = new URLSearchParams(body).get('refresh_token') ?? '';
      stats.calls++;
      stats.arrived.push(presented);
      let answer: { status: number; body: object };
      if (family.revoked || presented !== family.live) {
        if (!family.revoked) stats.reuse++;
        family.revoked = true;
        answer = { status: 400, body: { error: 'invalid_grant' } };
      } else {
        const n = family.next++;
        family.live = `rt-${n}`;
        answer = { status: 200, body: { access_token: `at-${n}`, refresh_token: `rt-${n}`, token_type: 'Bearer', expires_in: 600 } };
      }
      setTimeout(() => {
        res.writeHead(answer.status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify(answer.body));
      }, delay);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
  return {
    url,
    stats,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

