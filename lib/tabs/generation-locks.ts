/**
 * Each tab holds a shared Web Lock named after the newest generation of the shared state it
 * knows, `<prefix><generation>`, for as long as it knows no newer one. The browser's lock
 * manager is one place, ordered with lock grants and releases: unlike a `BroadcastChannel`
 * message or a `localStorage` write, which reach other tabs asynchronously, a generation lock
 * taken before the refresh lock is released is seen by the next holder's `query()`. That tells
 * it which generation exists, so it waits for that state instead of deciding on a stale copy.
 */
export interface GenerationLocks {
  /** Holds the lock of `generation` (and lets go of the one held before, once this one is granted). */
  hold(generation: number): Promise<void>;
  /** The newest generation any tab holds or is about to hold; 0 when none does. */
  newest(): Promise<number>;
  /** Lets go of the lock held, if any. */
  release(): void;
}

export function createGenerationLocks(locks: LockManager, prefix: string): GenerationLocks {
  let held: { readonly generation: number; readonly release: () => void; readonly granted: Promise<void> } | undefined;
  const digits = /^\d+$/;

  return {
    hold(generation) {
      if (held?.generation === generation) return held.granted;
      const previous = held;
      let release: () => void = () => {};
      const holding = new Promise<void>((resolve) => (release = resolve));
      const granted = new Promise<void>((resolve) => {
        locks
          .request(`${prefix}${generation}`, { mode: 'shared' }, () => {
            resolve();
            return holding;
          })
          // Only our own document going away ends a shared request early: nothing to do then.
          .catch(() => resolve());
      });
      held = { generation, release, granted };
      // Never a moment without a generation lock: the old one goes once the new one is held.
      void granted.then(() => previous?.release());
      return granted;
    },
    async newest() {
      const snapshot = await locks.query();
      let newest = 0;
      // Pending requests count: a tab that just learned a generation has asked for its lock.
      for (const info of [...(snapshot.held ?? []), ...(snapshot.pending ?? [])]) {
        const suffix = info.name?.startsWith(prefix) ? info.name.slice(prefix.length) : '';
        if (digits.test(suffix)) newest = Math.max(newest, Number(suffix));
      }
      return newest;
    },
    release() {
      held?.release();
      held = undefined;
    },
  };
}
