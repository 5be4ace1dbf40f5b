// lib/session/refresh-path.ts: how a session that shares nothing refreshes (directRefresh).
import type { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { createTokenSession, type TokenSession } from '../../lib/session/create-token-session.js';
import { createTestScheduler } from '../helpers/marbles.js';
import { strictEndpoint, userTokens } from '../helpers/virtual-store.js';

// Issue 21 item 3: a refresh token is spent when the call reaches the server, not when the answer
// arrives. Once the token call is sent, dispose(), sign-out and the refresh deadline let its answer
// be stored under the lock for the other members (within refreshTimeout plus the store write's
// tries). On 2bb0687 these fail: the call was aborted and the lock let go at once; the server had
// rotated the refresh token already, the next member sent the spent one, and reuse detection
// revoked the whole family (TokenRevokedError everywhere).
describe('a token call at the server is never thrown away (issue 21 item 3)', () => {
  let testScheduler: TestScheduler;
  let endpoint: ReturnType<typeof strictEndpoint>;
  const at = (ms: number, work: () => void) => testScheduler.schedule(work, ms);

  beforeEach(() => {
    testScheduler = createTestScheduler();
  });

  function refreshIn(session: TokenSession, ms: number): (string | null)[] {
    const got: (string | null)[] = [];
    at(ms, () => session.token(session.state.generation).subscribe({ next: (t) => got.push(t.accessToken), error: (e: Error) => got.push(e.name) }));
    return got;
  }

  describe('a session that shares nothing', () => {
    // The deadline ran out while the call was at the server: the session itself is the next to
    // use the refresh token, so the answer must land in it, and a refresh meanwhile must wait for
    // that answer instead of sending the token the server may have spent.
    function alone(): TokenSession {
      endpoint = strictEndpoint(testScheduler, 80);
      return createTokenSession({ refresh: endpoint.refresh, refreshDeadline: 50, tokens: userTokens('alice'), scheduler: testScheduler });
    }

    it('takes the answer that came after the refresh deadline', () => {
      testScheduler.run(() => {
        const s = alone();
        const got = refreshIn(s, 1); // the call reaches the server at 1, the deadline runs out at 51, the answer comes at 81
        testScheduler.flush();
        expect(got).toEqual(['TokenRefreshError']);
        expect(s.state.tokens).toEqual(userTokens('alice', 1));
        expect(endpoint.calls).toEqual(['alice-r0']);
        expect(endpoint.reuse).toBe(0);
      });
    });

    it('a refresh while that call is still out waits for its answer, sending nothing', () => {
      testScheduler.run(() => {
        const s = alone();
        refreshIn(s, 1);
        const again = refreshIn(s, 60);
        testScheduler.flush();
        expect(again).toEqual(['alice-a1']);
        expect(endpoint.calls).toEqual(['alice-r0']);
        expect(endpoint.reuse).toBe(0);
      });
    });

    it('dispose() during the call cuts it: nobody is left to use its answer', () => {
      testScheduler.run(() => {
        const s = alone();
        const got = refreshIn(s, 1);
        at(20, () => s.dispose());
        testScheduler.flush();
        expect(got).toEqual(['TokenRefreshError']);
        expect(endpoint.calls).toEqual(['alice-r0']);
        expect(s.state.tokens).toEqual(userTokens('alice'));
      });
    });
  });
});
