// lib/session/sharing/store-publisher.ts: sign-in and sign-out writes, ordered by the store and
// outliving a dispose, and the change notices of other members.
import type { SchedulerLike } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { createTokenSession, type TokenSession, type TokenSessionConfig } from '../../../lib/session/create-token-session.js';
import type { SessionEvent } from '../../../lib/session/session-event.js';
import { shareStore } from '../../../lib/session/sharing/share-store.js';
import { createTestScheduler } from '../../helpers/marbles.js';
import { strictEndpoint, userOf, userTokens, virtualLock, virtualStore, type VirtualStore } from '../../helpers/virtual-store.js';

// Issue 21 items 2 and 3, DESIGN rule 18: a sign-in or sign-out, once setTokens/signOut returned,
// is never lost (not to a dispose() right after it, not to a member that thinks the store already
// agrees, not to members' clocks).
//
// On 2bb0687 these fail: (2a) dispose() cut the sign-in/sign-out write before it reached the
// store; (2b) a member already signed out skipped its sign-out as "already there" while another
// member's sign-in was on its way; (2c) "the later one wins" compared the members' own clocks
// (`receivedAt`), so a member whose clock runs 2 s ahead won over a sign-out made after it.
function skewed(scheduler: TestScheduler, ahead: number): SchedulerLike {
  return { now: () => scheduler.now() + ahead, schedule: (work, delay, state) => scheduler.schedule(work as never, delay, state) };
}

describe('rule 18: no sign-in or sign-out is lost (issue 21 item 2)', () => {
  let testScheduler: TestScheduler;
  let store: VirtualStore;
  const at = (ms: number, work: () => void) => testScheduler.schedule(work, ms);
  const member = (config: Partial<TokenSessionConfig> = {}): TokenSession =>
    createTokenSession({ refresh: strictEndpoint(testScheduler, 10).refresh, share: shareStore(store, lock), scheduler: testScheduler, ...config });
  let lock: ReturnType<typeof virtualLock>;

  beforeEach(() => {
    testScheduler = createTestScheduler();
    store = virtualStore(testScheduler);
    lock = virtualLock();
  });

  describe('(2a) dispose() right after the change (a logout or sign-in callback route)', () => {
    it.each([
      ['signOut', null],
      ['setTokens', 'bob'],
    ] as const)('%s() then dispose(): the change reaches the store and the other member, then the store closes', (change, user) => {
      testScheduler.run(() => {
        const a = member({ tokens: userTokens('alice') });
        const b = member();
        const closed: number[] = [];
        Object.assign(store, { dispose: () => closed.push(testScheduler.now()) });
        testScheduler.flush();
        expect(userOf(b.state.tokens)).toBe('alice');
        const t0 = testScheduler.now();
        at(10, () => {
          // Every store call takes 5 ms, like a network round trip.
          Object.assign(store.knobs, { readDelay: 5, applyDelay: 5 });
          if (change === 'signOut') a.signOut();
          else a.setTokens(userTokens('bob'));
          a.dispose();
        });
        testScheduler.flush();
        expect(userOf(store.current?.tokens)).toBe(user);
        expect(userOf(b.state.tokens)).toBe(user);
        // Read 10-15, write applied at 20: the store is closed after it, not under it.
        expect(closed).toEqual([t0 + 20]);
      });
    });

    it('bounds the wait: a store that never answers is closed after the bound', () => {
      testScheduler.run(() => {
        const a = member({ tokens: userTokens('alice'), storeTimeout: 50 });
        const closed: number[] = [];
        Object.assign(store, { dispose: () => closed.push(testScheduler.now()) });
        testScheduler.flush();
        const t0 = testScheduler.now();
        at(10, () => {
          store.knobs.readDelay = 'never';
          a.signOut();
          a.dispose();
        });
        testScheduler.flush();
        expect(closed).toHaveLength(1);
        expect(closed[0]).toBeLessThanOrEqual(t0 + 10 + 10 * 50);
      });
    });
  });

  describe('(2) a sign-in while a refresh of the same member adopts a newer state from the store', () => {
    // The refresh read the store (another member's refresh, two generations ahead of this
    // member, which had not heard of it) and adopted it over the sign-in still on its way: the
    // sign-in was written to the store, but this member went on with the adopted tokens.
    it('keeps the sign-in here too: it is written after what the refresh saw, so it is the last word', () => {
      testScheduler.run(() => {
        store = virtualStore(testScheduler, {}, false); // no notices: a learns only by reading
        const a = member({ tokens: userTokens('alice') });
        testScheduler.flush();
        store.writeAsOther({ tokens: userTokens('alice', 1), revoked: false, receivedAt: 0, change: 'refresh' });
        store.writeAsOther({ tokens: userTokens('alice', 2), revoked: false, receivedAt: 0, change: 'refresh' });
        at(1, () => {
          store.knobs.readDelay = 10;
          a.token(a.state.generation).subscribe({ error: () => undefined }); // its read answers at 11
        });
        at(5, () => a.setTokens(userTokens('bob'))); // its read answers at 15, its write after
        testScheduler.flush();
        expect(userOf(store.current?.tokens)).toBe('bob');
        expect(a.state.tokens).toEqual(userTokens('bob'));
        expect(a.state.generation).toBe(store.current?.generation);
      });
    });
  });

  describe('(2b) a member already signed out signs out while another member’s sign-in is on its way', () => {
    it('writes its sign-out as a new generation; it reaches the store last and wins everywhere', () => {
      testScheduler.run(() => {
        store.writeAsOther({ tokens: null, revoked: false, receivedAt: 0, change: 'sign-out' });
        const a = member();
        const b = member();
        testScheduler.flush();
        const aEvents: SessionEvent[] = [];
        a.events$.subscribe((e) => aEvents.push(e));
        at(10, () => {
          // A slow custom store: every call takes 10 ms.
          Object.assign(store.knobs, { readDelay: 10, applyDelay: 10 });
          b.setTokens(userTokens('bob')); // read 10-20, applied at 30
        });
        at(15, () => a.signOut()); // read 15-25 still says signed out; its write reaches the store after bob's
        testScheduler.flush();
        expect(store.writes.filter((w) => w.applied).map((w) => w.next.change)).toEqual(['sign-in', 'sign-out']);
        expect(store.current?.tokens).toBeNull();
        expect(a.state.tokens).toBeNull();
        expect(b.state.tokens).toBeNull();
        expect(a.state.generation).toBe(store.current?.generation);
        expect(b.state.generation).toBe(store.current?.generation);
        expect(aEvents.filter((e) => e.type === 'tokens-changed' && e.origin === 'remote')).toEqual([]);
      });
    });
  });

  describe('(2c) members whose clocks disagree', () => {
    it('a sign-out made 1 s after a sign-in on a member whose clock runs 2 s ahead wins: the store orders them', () => {
      testScheduler.run(() => {
        const a = member({ scheduler: skewed(testScheduler, 2_000) });
        const b = member({ tokens: userTokens('alice') });
        testScheduler.flush();
        at(1_000, () => a.setTokens(userTokens('bob'))); // receivedAt 3_000 on a's clock
        at(2_000, () => b.signOut()); // receivedAt 2_000 on b's clock, one second later in fact
        testScheduler.flush();
        expect(store.current?.tokens).toBeNull();
        expect(a.state.tokens).toBeNull();
        expect(b.state.tokens).toBeNull();
      });
    });

    it('a sign-in made after a sign-out on a member whose clock runs 2 s behind wins', () => {
      testScheduler.run(() => {
        const a = member({ tokens: userTokens('alice') });
        const b = member({ scheduler: skewed(testScheduler, -2_000) });
        testScheduler.flush();
        at(1_000, () => a.signOut());
        at(2_000, () => b.setTokens(userTokens('bob')));
        testScheduler.flush();
        expect(userOf(store.current?.tokens)).toBe('bob');
        expect(userOf(a.state.tokens)).toBe('bob');
        expect(userOf(b.state.tokens)).toBe('bob');
      });
    });

    it('a sign-out whose write is refused by a sign-in stamped later on a fast clock is written again after it', () => {
      testScheduler.run(() => {
        const a = member({ scheduler: skewed(testScheduler, 2_000) });
        const b = member({ tokens: userTokens('alice') });
        testScheduler.flush();
        at(1_000, () => {
          store.knobs.readDelay = 10; // b reads at 1_000, answered at 1_010
          b.signOut();
          store.knobs.readDelay = 0;
        });
        at(1_005, () => a.setTokens(userTokens('bob'))); // lands at 1_005, before b's write
        testScheduler.flush();
        expect(store.current?.tokens).toBeNull();
        expect(a.state.tokens).toBeNull();
        expect(b.state.tokens).toBeNull();
      });
    });
  });
});
