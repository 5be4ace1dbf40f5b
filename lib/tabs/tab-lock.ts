import { Observable, type Subscription } from 'rxjs';
import type { RefreshLock } from '../session/token-store.js';
import { runThenRelease } from '../util/run-then-release.js';
import { holdExclusive } from './hold-exclusive.js';

/**
 * The refresh lock of the tabs sharing `lockName`: the Web Lock of that name, held while the
 * session's refresh task runs (read the shared state, call the token endpoint, write the result).
 * No tab holds it longer than `holdLimit` ms while another waits: see {@link holdExclusive}.
 */
export function createTabLock(locks: LockManager, lockName: string, holdLimit: number): RefreshLock {
  const active = new Set<() => void>();
  return {
    run: <T>(task: () => Observable<T>) =>
      new Observable<T>((subscriber) => {
        let inner: Subscription | undefined;
        let done: () => void = () => {};
        const cancel = holdExclusive(locks, lockName, holdLimit, {
          granted: () =>
            new Promise<void>((resolve) => {
              done = resolve;
              if (subscriber.closed) return resolve();
              inner = runThenRelease(task, subscriber, resolve);
            }),
          failed: (error) => subscriber.error(error),
        });
        active.add(cancel);
        return () => {
          active.delete(cancel);
          inner?.unsubscribe();
          done();
          cancel();
        };
      }),
    dispose() {
      for (const cancel of [...active]) cancel();
      active.clear();
    },
  };
}
