// Issue 21, item 5: what a store answers enters the session through one door (store-access.ts),
// and is checked there. A store of one's own (shareStore) that answered a string, an object
// missing fields, a generation that is no whole number or an older state than it was asked to
// replace used to be adopted silently; each is now a typed store failure naming the field.
import { Subject, map, of, switchMap, throwError, timer } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { TokenRefreshError } from '../../../lib/errors/token-refresh-error.js';
import { createTokenSession } from '../../../lib/session/create-token-session.js';
import type { SessionEvent } from '../../../lib/session/session-event.js';
import { shareStore } from '../../../lib/session/sharing/share-store.js';
import { MAX_WRITE_TRIES } from '../../../lib/session/sharing/store-access.js';
import type { SessionState, TokenSet } from '../../../lib/session/token-set.js';
import type { TokenStore } from '../../../lib/session/token-store.js';
import { createTestScheduler } from '../../helpers/marbles.js';
import { userTokens, virtualLock } from '../../helpers/virtual-store.js';

const stateOf = (tokens: TokenSet | null, generation: number): SessionState => ({ tokens, generation, revoked: false, receivedAt: 0, change: 'refresh' });
// A value a store of one's own could answer; typed as a state, as a buggy store would claim.
const claimed = (value: unknown) => value as SessionState;

function session(store: TokenStore, testScheduler: TestScheduler, tokens: TokenSet | null = userTokens('alice')) {
  const calls: string[] = [];
  const refresh = (refreshToken: string) => (calls.push(refreshToken), of(userTokens('alice', 9)));
  const s = createTokenSession({ tokens, refresh, share: shareStore(store, virtualLock()), scheduler: testScheduler });
  const events: SessionEvent[] = [];
  const seen: (string | undefined)[] = [];
  s.events$.subscribe((event) => events.push(event));
  s.tokens$.subscribe((t) => seen.push(t?.accessToken));
  const failures = () => events.flatMap((e) => (e.type === 'store-failed' ? [{ operation: e.operation, message: e.error.message, name: e.error.name }] : []));
  return { s, calls, events, seen, failures };
}

describe('the answers of a store of your own (shareStore)', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = createTestScheduler();
  });

  describe('when read() answers something that is not a valid state', () => {
    it.each([
      ['a string', 'alice-a7', /read answered an invalid state: a session state must be an object, got a string$/],
      ['an object missing fields', { tokens: userTokens('bob'), generation: 3 }, /read answered an invalid state: revoked must be a boolean, got undefined$/],
      ['a generation that is a string', { ...stateOf(userTokens('bob'), 3), generation: '3' }, /generation must be a whole number from 0 to 2\^53 - 1, got a string$/],
      ['a generation of Infinity', { ...stateOf(userTokens('bob'), 3), generation: Infinity }, /generation must be a whole number from 0 to 2\^53 - 1, got Infinity$/],
      ['a change that is no StateChange', { ...stateOf(userTokens('bob'), 3), change: 'bob-r0' }, /change must be one of sign-in, sign-out, refresh, revoked, got a string$/],
    ])('%s: says so as store-failed, naming the field without quoting it, and keeps its own tokens', (_, answer, message) => {
      testScheduler.run(({ flush }) => {
        // A network store: the answer arrives a moment later, as from a socket.
        const store: TokenStore = { read: () => timer(5, testScheduler).pipe(map(() => claimed(answer))), write: (next) => of(next) };
        const { s, failures, seen } = session(store, testScheduler);
        flush();
        expect(failures()).toEqual([{ operation: 'read', message: expect.stringMatching(message), name: 'StoreFailure' }]);
        expect(failures()[0]?.message).not.toMatch(/alice-|bob-/);
        expect(s.state).toMatchObject({ tokens: userTokens('alice'), generation: 0 });
        expect(seen).toEqual(['alice-a0']);
      });
    });

    it('inside a refresh: fails it as store-failed and makes no token call', () => {
      testScheduler.run(({ flush }) => {
        let answer: unknown = stateOf(userTokens('alice'), 1);
        const store: TokenStore = { read: () => of(claimed(answer)), write: (next) => of(next) };
        const { s, calls, seen } = session(store, testScheduler, null);
        flush();
        answer = { ...stateOf({ accessToken: 42, refreshToken: 'alice-r0' } as unknown as TokenSet, 2) };
        let error: unknown;
        s.refresh$.subscribe({ error: (e: unknown) => (error = e) });
        flush();
        expect(error).toBeInstanceOf(TokenRefreshError);
        expect(error).toMatchObject({ reason: 'store-failed' });
        expect((error as Error).message).toMatch(/read answered an invalid state: tokens: accessToken must be a non-empty string when present, got number$/);
        expect((error as Error).message).not.toMatch(/alice-|42/);
        expect(calls).toEqual([]);
        expect(seen).toEqual(['alice-a0']);
      });
    });
  });

  describe('when read() answers a state older than the session holds (the store lost its state)', () => {
    it('refreshes with its own tokens, never the older state\'s (their refresh token may be spent), and writes over it', () => {
      testScheduler.run(({ flush }) => {
        const changes = new Subject<SessionState>();
        let held: SessionState = stateOf(userTokens('alice', 1), 1);
        const writes: number[] = [];
        const store: TokenStore = {
          read: () => of(held),
          write: (next, expected) => (writes.push(expected), expected === held.generation && (held = next), of(held)),
          changes$: changes,
        };
        const { s, calls, seen } = session(store, testScheduler, null);
        flush();
        changes.next(stateOf(userTokens('alice', 5), 5)); // the session moves on; the store then loses it
        flush();
        let refreshed: TokenSet | undefined;
        s.refresh$.subscribe((tokens) => (refreshed = tokens));
        flush();
        expect(calls).toEqual(['alice-r5']);
        expect(refreshed).toEqual(userTokens('alice', 9));
        expect(writes).toEqual([1]);
        expect(held).toMatchObject({ tokens: userTokens('alice', 9), generation: 6 });
        expect(seen).toEqual(['alice-a1', 'alice-a5', 'alice-a9']);
      });
    });
  });

  describe('when changes$ sends something that is not a valid state', () => {
    it('drops each one and says so, goes on listening, and adopts the next valid notice', () => {
      testScheduler.run(({ flush }) => {
        const changes = new Subject<SessionState>();
        const store: TokenStore = { read: () => of(stateOf(userTokens('alice'), 1)), write: (next) => of(next), changes$: changes };
        const { s, failures, seen } = session(store, testScheduler, null);
        flush();
        for (const notice of [
          'bob-a0',
          { tokens: userTokens('bob'), generation: 2 },
          stateOf(userTokens('bob'), Infinity),
          stateOf(userTokens('bob'), NaN),
          stateOf(userTokens('bob'), 2 ** 53 + 1),
          stateOf(userTokens('bob'), -1),
          stateOf({ accessToken: 'bob a0' }, 2),
          { ...stateOf(userTokens('bob'), 2), revoked: 'yes' },
        ]) {
          changes.next(claimed(notice));
        }
        flush();
        expect(failures().map((f) => [f.operation, f.message.replace("The token store sent an invalid change notice: ", '')])).toEqual([
          ['changes', 'a session state must be an object, got a string'],
          ['changes', 'revoked must be a boolean, got undefined'],
          ['changes', 'generation must be a whole number from 0 to 2^53 - 1, got Infinity'],
          ['changes', 'generation must be a whole number from 0 to 2^53 - 1, got NaN'],
          ['changes', 'generation must be a whole number from 0 to 2^53 - 1, got 9007199254740992'],
          ['changes', 'generation must be a whole number from 0 to 2^53 - 1, got -1'],
          ['changes', 'tokens: accessToken contains characters a token may not have (control characters, spaces or non-ASCII)'],
          ['changes', 'revoked must be a boolean, got a string'],
        ]);
        expect(s.state).toMatchObject({ tokens: userTokens('alice'), generation: 1 });
        // Still listening; unknown fields are not carried.
        changes.next(claimed({ ...stateOf(userTokens('bob'), 3), change: 'sign-in', note: 'x' }));
        // An older state than ours (late, or replayed) is no news.
        changes.next(stateOf(userTokens('carol'), 2));
        flush();
        expect(s.state).toEqual({ tokens: userTokens('bob'), generation: 3, revoked: false, receivedAt: 0, change: 'sign-in' });
        expect(seen).toEqual(['alice-a0', 'bob-a0']);
      });
    });
  });

  describe('when write() answers something that is not a valid state', () => {
    it('a sign-in whose write answers a string: store-failed naming it, the sign-in kept here', () => {
      testScheduler.run(({ flush }) => {
        const store: TokenStore = { read: () => of(null), write: () => of(claimed('bob-a0')) };
        const { s, failures } = session(store, testScheduler, null);
        flush();
        s.setTokens(userTokens('bob'));
        flush();
        // Said at each of its tries: a later try that got through would not hide the bad data.
        const failure = { operation: 'write', name: 'StoreFailure', message: "The token store's write answered an invalid state: a session state must be an object, got a string" };
        expect(failures()).toEqual(Array.from({ length: MAX_WRITE_TRIES }, () => failure));
        expect(s.state.tokens).toEqual(userTokens('bob'));
      });
    });

    it('a refresh whose write keeps answering a state older than the one it replaces: the new tokens are kept, the older state never adopted', () => {
      testScheduler.run(({ flush }) => {
        // Holds alice's 4th tokens, answers every write with her 2nd (a store that lost data and lies).
        const writes: number[] = [];
        const store: TokenStore = {
          read: () => of(stateOf(userTokens('alice', 4), 4)),
          write: (_, expected) => (writes.push(expected), of(stateOf(userTokens('alice', 2), 2))),
        };
        const { s, calls, seen, events } = session(store, testScheduler, null);
        flush();
        let refreshed: TokenSet | undefined;
        s.refresh$.subscribe((tokens) => (refreshed = tokens));
        flush();
        expect(calls).toEqual(['alice-r4']);
        expect(refreshed).toEqual(userTokens('alice', 9));
        expect(s.state).toMatchObject({ tokens: userTokens('alice', 9), generation: 5 });
        expect(seen).not.toContain('alice-a2');
        expect(events).toContainEqual({ type: 'refresh-succeeded', generation: 5, expiresAt: undefined });
        // It tried to write over the lost state (fenced at 2), and gave up in bounded tries.
        expect(writes).toContain(2);
        expect(writes.length).toBeLessThanOrEqual(60);
      });
    });

    it('a store that errors stays a store that errors (the check does not swallow it)', () => {
      testScheduler.run(({ flush }) => {
        const down = new Error('ECONNREFUSED');
        const store: TokenStore = { read: () => timer(5, testScheduler).pipe(switchMap(() => throwError(() => down))), write: (next) => of(next) };
        const { failures } = session(store, testScheduler);
        flush();
        expect(failures()).toEqual([{ operation: 'read', name: 'StoreFailure', message: "The token store's read failed: ECONNREFUSED" }]);
      });
    });
  });
});
