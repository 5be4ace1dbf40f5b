import { Observable, throwError } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { runThenRelease } from '../../lib/util/run-then-release.js';

describe('runThenRelease', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  /** A lock that is always free: `run` grants at once and records each release with the time. */
  function lockOver(releases: number[]) {
    return <T>(task: () => Observable<T>) =>
      new Observable<T>((subscriber) => {
        const inner = runThenRelease(task, subscriber, () => releases.push(testScheduler.now()));
        return () => inner.unsubscribe();
      });
  }

  describe('when the task completes', () => {
    it('forwards its values and releases the lock before forwarding the end', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const order: string[] = [];
        const run = <T>(task: () => Observable<T>) =>
          new Observable<T>((subscriber) => runThenRelease(task, subscriber, () => order.push('released')));
        run(() => cold('-a-(b|)')).subscribe({ complete: () => order.push('complete') });
        const releases: number[] = [];
        expectObservable(lockOver(releases)(() => cold('-a-(b|)'))).toBe('-a-(b|)');
        testScheduler.flush();
        expect(order).toEqual(['released', 'complete']);
        expect(releases).toEqual([3]);
      });
    });
  });

  describe('when the task errors, or throws when asked for', () => {
    it('releases the lock and forwards the error', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const releases: number[] = [];
        const error = new Error('token endpoint down');
        expectObservable(lockOver(releases)(() => cold('--#', undefined, error))).toBe('--#', undefined, error);
        expectObservable(
          lockOver(releases)(() => {
            throw error;
          }),
        ).toBe('#', undefined, error);
        expectObservable(lockOver(releases)(() => throwError(() => error))).toBe('#', undefined, error);
        testScheduler.flush();
        expect(releases.sort((a, b) => a - b)).toEqual([0, 0, 2]);
      });
    });
  });

  describe('when the holder unsubscribes while the task runs', () => {
    it('unsubscribes the task and leaves the release to the lock', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const releases: number[] = [];
        const task = cold('----a|');
        expectObservable(lockOver(releases)(() => task), '^-!').toBe('---');
        expectSubscriptions(task.subscriptions).toBe('^-!');
        testScheduler.flush();
        expect(releases).toEqual([]);
      });
    });
  });
});
