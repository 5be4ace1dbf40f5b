import { NEVER, Subject, defer, map, of, tap, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { createTokenSession, type TokenSession } from '../../../lib/session/create-token-session.js';
import { shareInMemory } from '../../../lib/session/sharing/share-in-memory.js';
import type { TokenSet } from '../../../lib/session/token-set.js';
import { createTestScheduler } from '../../helpers/marbles.js';

const old: TokenSet = { accessToken: 'a0', refreshToken: 'r0' };
const fresh: TokenSet = { accessToken: 'a1', refreshToken: 'r1' };

describe('shareInMemory', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = createTestScheduler();
  });

  describe('when two sessions share it under TestScheduler and both need a refresh', () => {
    it('calls a cold token endpoint once and puts both sessions on the new generation', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
        const tokenEndpoint = cold('--(t|)', { t: fresh });
        const share = shareInMemory();
        const make = () => createTokenSession({ tokens: old, refresh: () => tokenEndpoint, share, scheduler: testScheduler });
        const a = make();
        const b = make();

        expectObservable(a.refresh$).toBe('--(t|)', { t: fresh });
        expectObservable(b.refresh$).toBe('--(t|)', { t: fresh });
        expectSubscriptions(tokenEndpoint.subscriptions).toBe('^-!');
        flush();

        // Generation 1 is a's tokens, written at its start; 2 is the one refresh.
        expect([a.state.generation, b.state.generation]).toEqual([2, 2]);
        expect(share.current?.tokens).toEqual(fresh);
      });
    });
  });

  describe('when one session signs in under TestScheduler', () => {
    it('tells the other in virtual time, with no real wait', () => {
      testScheduler.run(({ expectObservable, cold }) => {
        const share = shareInMemory();
        const refresh = () => NEVER as Observable<TokenSet>;
        const a = createTokenSession({ tokens: old, refresh, share, scheduler: testScheduler });
        const b = createTokenSession({ refresh, share, scheduler: testScheduler });

        cold('-x').subscribe(() => a.setTokens(fresh));

        expectObservable(b.tokens$.pipe(map((t) => t?.accessToken ?? null)), '^--!').toBe('ab-', { a: 'a0', b: 'a1' });
      });
    });
  });

  describe('its lock', () => {
    it('grants at once when free, hands over in order on release, and drops a waiter that gave up', () => {
      const { lock } = shareInMemory();
      const log: string[] = [];
      const first = new Subject<string>();
      const task = (name: string, body: Observable<string>) => lock.run(() => defer(() => (log.push(`${name} starts`), body)));

      task('one', first).subscribe((v) => log.push(`one got ${v}`));
      const two = task('two', of('2')).subscribe((v) => log.push(`two got ${v}`));
      task('three', of('3').pipe(tap(() => log.push('three runs')))).subscribe();
      expect(log).toEqual(['one starts']);

      two.unsubscribe();
      first.next('1');
      first.complete();

      expect(log).toEqual(['one starts', 'one got 1', 'three starts', 'three runs']);
      task('four', of('4')).subscribe((v) => log.push(`four got ${v}`));
      expect(log.slice(-2)).toEqual(['four starts', 'four got 4']);
    });

    it('lets the next task in when the holder errors or is unsubscribed', () => {
      const { lock } = shareInMemory();
      const log: string[] = [];
      const held = lock.run(() => NEVER).subscribe();
      lock.run(() => defer(() => (log.push('after unsubscribe'), of(1)))).subscribe();
      held.unsubscribe();
      lock.run(() => defer(() => (log.push('erring'), Promise.reject(new Error('x'))))).subscribe({ error: () => log.push('erred') });
      expect(log).toEqual(['after unsubscribe', 'erring']);
    });
  });

  describe('when one of two sessions given it is disposed', () => {
    it('leaves the other refreshing once and hearing a third session', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
        const tokenEndpoint = cold('-(t|)', { t: fresh });
        const share = shareInMemory();
        const sessions: TokenSession[] = [];
        const make = (tokens?: TokenSet) => {
          const session = createTokenSession({ tokens, refresh: () => tokenEndpoint, share, scheduler: testScheduler });
          sessions.push(session);
          return session;
        };
        const a = make(old);
        const b = make();
        a.dispose();

        expectObservable(b.refresh$).toBe('-(t|)', { t: fresh });
        expectSubscriptions(tokenEndpoint.subscriptions).toBe('^!');
        flush();
        const c = make();
        c.signOut();
        flush();

        // 1: a's start, 2: b's refresh, 3: c's sign-out, which b heard.
        expect(b.state).toMatchObject({ tokens: null, generation: 3 });
        expect(share.current?.generation).toBe(3);
      });
    });
  });
});
