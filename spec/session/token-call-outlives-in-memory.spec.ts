// Issue 21 item 3 with shareInMemory() (real time) and a real node:http token endpoint that
// rotates the refresh token when the request arrives and revokes the family on reuse. On 2bb0687
// dispose() during the call aborted it and let the lock go; the other session presented the
// spent refresh token and the whole family was revoked.
import { afterEach, describe, expect, it } from 'vitest';
import { oauth2RefreshGrant } from '../../lib/oauth2/oauth2-refresh-grant.js';
import { createTokenSession, type TokenSession } from '../../lib/session/create-token-session.js';
import { shareInMemory } from '../../lib/session/sharing/share-in-memory.js';
import { startRotatingEndpoint } from '../helpers/rotating-endpoint.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('shareInMemory: a token call at the server when the refresh is stopped', () => {
  const sessions: TokenSession[] = [];
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const s of sessions.splice(0)) s.dispose();
    await Promise.all(closers.splice(0).map((close) => close()));
  });

  it.each(['dispose', 'deadline'] as const)('%s during the call: the answer is stored, the other session never presents the spent refresh token', async (stop) => {
    const endpoint = await startRotatingEndpoint(300);
    closers.push(endpoint.close);
    const share = shareInMemory();
    const refresh = oauth2RefreshGrant({ tokenUrl: endpoint.url });
    const a = createTokenSession({ refresh, share, tokens: { accessToken: 'at-0', refreshToken: 'rt-0' }, ...(stop === 'deadline' ? { refreshDeadline: 150 } : {}) });
    const b = createTokenSession({ refresh, share });
    sessions.push(a, b);
    await sleep(30);
    expect(b.state.tokens?.refreshToken).toBe('rt-0');
    a.tokenAfterRejection(a.state.generation).subscribe({ error: () => undefined });
    while (endpoint.stats.calls === 0) await sleep(5);
    if (stop === 'dispose') a.dispose();
    const gotB: string[] = [];
    b.tokenAfterRejection(b.state.generation).subscribe({ next: (t) => gotB.push(t.accessToken ?? 'none'), error: (e: Error) => gotB.push(e.name) });
    for (let i = 0; i < 200 && gotB.length === 0; i++) await sleep(10);
    expect(endpoint.stats.arrived).toEqual(['rt-0']);
    expect(endpoint.stats.reuse).toBe(0);
    expect(gotB).toEqual(['at-1']);
    expect(share.current?.tokens?.refreshToken).toBe('rt-1');
  });
});
