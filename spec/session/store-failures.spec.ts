// A shared store that fails outside a refresh (the session's first read, a sign-in or sign-out
// write, the change notices) used to be swallowed: the session went on, alone, without a word.
// Each now says so on events$ as `store-failed`, naming the operation, never a token.
import { EMPTY, NEVER, Subject, of, switchMap, throwError, timer } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { createTokenSession } from '../../lib/session/create-token-session.js';
import type { SessionEvent } from '../../lib/session/session-event.js';
import { shareStore } from '../../lib/session/sharing/share-store.js';
import type { SessionState, TokenSet } from '../../lib/session/token-set.js';
import type { TokenStore } from '../../lib/session/token-store.js';
import { createTestScheduler } from '../helpers/marbles.js';
import { userTokens, virtualLock } from './hardening-fixtures.js';

const refreshed: TokenSet = { accessToken: 'alice-access-9', refreshToken: 'alice-refresh-9' };
const storeDown = new Error('ECONNREFUSED 127.0.0.1:6379');

function session(store: TokenStore, testScheduler: TestScheduler, tokens: TokenSet | null = userTokens('alice')) {
  const s = createTokenSession({ tokens, refresh: () => of(refreshed), share: shareStore(store, virtualLock()), scheduler: testScheduler });
  const events: SessionEvent[] = [];
  s.events$.subscribe((event) => events.push(event));
  return { s, events, failures: () => events.filter((e) => e.type === 'store-failed') };
}

describe('a shared store that fails outside a refresh', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = createTestScheduler();
  });

  it('says so when the first read fails, and goes on with the tokens it was given', () => {
    testScheduler.run(({ flush }) => {
      // A network store: the refusal arrives a moment later, as from a socket.
      const store: TokenStore = { read: () => timer(5, testScheduler).pipe(switchMap(() => throwError(() => storeDown))), write: () => NEVER };
      const { s, failures } = session(store, testScheduler);
      flush();
      expect(failures()).toMatchObject([{ type: 'store-failed', operation: 'read', error: { message: "The token store's read failed: ECONNREFUSED 127.0.0.1:6379", cause: storeDown } }]);
      expect(s.state.tokens?.accessToken).toBe(userTokens('alice').accessToken);
    });
  });

  it('says so when a sign-in cannot be written after its retries, and keeps the sign-in here', () => {
    testScheduler.run(({ flush }) => {
      const store: TokenStore = { read: () => of(null), write: () => throwError(() => storeDown) };
      const { s, failures } = session(store, testScheduler, null);
      flush();
      expect(failures()).toEqual([]);
      s.setTokens(userTokens('bob'));
      flush();
      expect(failures()).toMatchObject([{ operation: 'write', error: { cause: storeDown } }]);
      expect(s.state.tokens?.accessToken).toBe(userTokens('bob').accessToken);
    });
  });

  it('says so when the change notices fail, so an app can recreate the session', () => {
    testScheduler.run(({ flush }) => {
      const changes = new Subject<SessionState>();
      const store: TokenStore = { read: () => of(null), write: (next) => of(next), changes$: changes };
      const { failures } = session(store, testScheduler);
      flush();
      changes.error(storeDown);
      expect(failures()).toMatchObject([{ operation: 'changes', error: { message: "The token store's change notices failed", cause: storeDown } }]);
    });
  });

  it('says nothing when the store works, and no event carries a token', () => {
    testScheduler.run(({ flush }) => {
      let current: SessionState | null = null;
      const store: TokenStore = { read: () => of(current), write: (next) => ((current = next), of(next)), changes$: EMPTY };
      const { s, events, failures } = session(store, testScheduler);
      flush();
      s.setTokens(userTokens('bob'));
      s.signOut();
      flush();
      expect(failures()).toEqual([]);
      expect(JSON.stringify(events)).not.toMatch(/access|refresh-\d|refresh-[a-z]/);
    });
  });
  describe('a store that fails at once, while createTokenSession runs', () => {
    // A read that throws (storage the browser denies, a client not connected) fails before the
    // caller could subscribe to events$; the event waits for the caller's synchronous turn.
    it('still says the read failed to whoever subscribed right after creating the session', async () => {
      const denied = new Error('SecurityError: the operation is insecure');
      const store: TokenStore = {
        read: () => {
          throw denied;
        },
        write: () => NEVER,
      };
      const { s, failures } = session(store, createTestScheduler());
      expect(failures()).toEqual([]); // not yet: the caller's turn is not over
      await Promise.resolve();
      expect(failures()).toMatchObject([{ type: 'store-failed', operation: 'read', error: { cause: denied } }]);
      expect(s.state.tokens?.accessToken).toBe(userTokens('alice').accessToken);
      s.dispose();
    });

    it('and the change notices that fail at once', async () => {
      const store: TokenStore = { read: () => of(null), write: (next) => of(next), changes$: throwError(() => storeDown) };
      const { s, failures } = session(store, createTestScheduler());
      await Promise.resolve();
      expect(failures()).toMatchObject([{ type: 'store-failed', operation: 'changes', error: { cause: storeDown } }]);
      s.dispose();
    });
  });
});
