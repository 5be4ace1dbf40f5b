import { Observable, Subject, type Subscription } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { oauth2RefreshGrant } from '../../lib/auth/oauth2-refresh-grant.js';
import { createHttpClient } from '../../lib/client/create-http-client.js';
import { createTokenSession, type TokenSession } from '../../lib/session/create-token-session.js';
import type { SessionEvent } from '../../lib/session/session-event.js';
import type { SessionState } from '../../lib/session/token-set.js';
import type { RefreshLock, TokenStore } from '../../lib/session/token-store.js';
import { startOAuth2Server, type RunningOAuth2Server } from '../../scripts/oauth2-server.js';
import { outcomes } from '../helpers/outcomes.js';

/** A store shared by several sessions, as Redis or localStorage would be: async, echoing every write. */
function createSharedStore(): TokenStore & { readonly current: SessionState | null } {
  let current: SessionState | null = null;
  const changes = new Subject<SessionState>();
  return {
    get current() {
      return current;
    },
    read: async () => (current === null ? null : structuredClone(current)),
    write: async (state) => {
      current = structuredClone(state);
      await Promise.resolve();
      changes.next(structuredClone(state));
    },
    changes$: changes.asObservable(),
  };
}

/** A FIFO mutex shared by several sessions, as a Redis lock or navigator.locks would be. */
function createSharedLock(): RefreshLock & { readonly acquisitions: number } {
  let tail: Promise<void> = Promise.resolve();
  let acquisitions = 0;
  return {
    get acquisitions() {
      return acquisitions;
    },
    run: <T>(task: () => Observable<T>) =>
      new Observable<T>((subscriber) => {
        let release!: () => void;
        const held = new Promise<void>((resolve) => (release = resolve));
        const previous = tail;
        tail = previous.then(() => held);
        let inner: Subscription | undefined;
        let closed = false;
        void previous.then(() => {
          if (closed) return release();
          acquisitions++;
          inner = task().subscribe({
            next: (value) => subscriber.next(value),
            error: (error: unknown) => {
              release();
              subscriber.error(error);
            },
            complete: () => {
              release();
              subscriber.complete();
            },
          });
        });
        return () => {
          closed = true;
          inner?.unsubscribe();
          release();
        };
      }),
  };
}

describe('createTokenSession with a shared TokenStore and RefreshLock', () => {
  let running: RunningOAuth2Server | undefined;
  const sessions: TokenSession[] = [];
  afterEach(async () => {
    for (const s of sessions.splice(0)) s.dispose();
    await running?.close();
  });

  describe('when three "processes" share one refresh token and all see it expire', () => {
    it('refreshes once across all of them and every process ends with the newest tokens', async () => {
      running = await startOAuth2Server({ tokenDelay: 20, rotateRefreshTokens: true, reuseDetection: true });
      const fake = running.server;
      const issued = fake.signIn();
      const store = createSharedStore();
      const lock = createSharedLock();
      const events: SessionEvent[][] = [];
      const clients = Array.from({ length: 3 }, (_, i) => {
        const session = createTokenSession({
          tokens: { accessToken: issued.accessToken, refreshToken: issued.refreshToken },
          refresh: oauth2RefreshGrant({ tokenUrl: `${running!.url}/oauth/token` }),
          store,
          lock,
        });
        sessions.push(session);
        events[i] = [];
        session.events$.subscribe((e) => events[i]!.push(e));
        return createHttpClient({ baseUrl: `${running!.url}/api`, session, retry: false });
      });
      fake.expireAccessTokens();

      const results = await outcomes(clients.flatMap((api) => Array.from({ length: 100 }, (_, i) => api.get(`/p/${i}`))));

      expect(results.filter((r) => !r.ok)).toEqual([]);
      expect(fake.stats).toMatchObject({ tokenRequests: 1, refreshGrants: 1, reuseDetected: 0 });
      const newest = fake.issuedRefreshTokens.at(-1);
      expect(sessions.map((s) => s.state.tokens?.refreshToken)).toEqual([newest, newest, newest]);
      expect(store.current?.tokens?.refreshToken).toBe(newest);
      // Exactly one process reports the refresh; the others adopted its result from the store.
      expect(events.map((list) => list.filter((e) => e.type === 'refresh-succeeded').length).sort()).toEqual([0, 0, 1]);
    });
  });

  describe('when another process revokes the shared session', () => {
    it('adopts the revocation and says so once', async () => {
      running = await startOAuth2Server({ rotateRefreshTokens: true });
      const issued = running.server.signIn();
      const store = createSharedStore();
      const make = () => {
        const s = createTokenSession({
          tokens: { accessToken: issued.accessToken, refreshToken: issued.refreshToken },
          refresh: oauth2RefreshGrant({ tokenUrl: `${running!.url}/oauth/token` }),
          store,
          lock: createSharedLock(),
        });
        sessions.push(s);
        return s;
      };
      const a = make();
      const b = make();
      const seen: SessionEvent[] = [];
      b.events$.subscribe((e) => seen.push(e));
      running.server.revokeAll();

      await outcomes([createHttpClient({ baseUrl: `${running.url}/api`, session: a }).get('/x')]);
      await new Promise((resolve) => setTimeout(resolve, 10));

      expect(b.state.revoked).toBe(true);
      expect(seen.filter((e) => e.type === 'session-revoked')).toHaveLength(1);
    });
  });
});
