import { Subject, defer } from 'rxjs';
import type { SessionState } from '../session/token-set.js';
import type { TokenStore } from '../session/token-store.js';
import { createGenerationLocks } from './generation-locks.js';
import { holdExclusive } from './hold-exclusive.js';
import { isSessionState, type TabMessage } from './tab-message.js';

/** What {@link createTabStore} needs from the page, resolved by `shareAcrossTabs`. */
export interface TabStoreEnv {
  readonly locks: LockManager;
  readonly channel: BroadcastChannel;
  /** `localStorage` with `persist: 'local'`, otherwise undefined. */
  readonly storage: Storage | undefined;
  /** The prefix of every lock, channel and storage key of this share: `rx-token-http:<name>`. */
  readonly prefix: string;
  /** How long a read waits for the state of the newest generation to reach this tab. */
  readonly answerTimeout: number;
  /** How long one tab may hold the store's write lock while another waits (a write waits at most `answerTimeout` inside). */
  readonly holdLimit: number;
}

/**
 * A {@link TokenStore} in the memory of the open tabs. The newest state lives in every tab that
 * knows it; tabs pass it over a `BroadcastChannel` and ask each other for it. Which generation is
 * the newest is told by the Web Locks each tab holds ({@link createGenerationLocks}), so a read
 * never settles for a copy older than what some tab already wrote. Writes compare and set under
 * a short Web Lock of their own, so they are fenced whether or not the caller holds the refresh lock.
 */
export function createTabStore(env: TabStoreEnv): TokenStore {
  const { locks, channel, storage, prefix, answerTimeout } = env;
  const generations = createGenerationLocks(locks, `${prefix}:gen:`);
  const changes = new Subject<SessionState>();
  // Reads waiting for a generation: told of every state learned, and of dispose (`stop`).
  const listeners = new Map<() => void, (error: Error) => void>();
  let known: SessionState | null = null;
  let disposed = false;

  const post = (message: TabMessage): void => {
    if (!disposed) channel.postMessage(message);
  };

  // Keeps `state` when it is newer than what this tab knows; tells the waiting reads.
  function learn(state: SessionState, remote: boolean): void {
    if (disposed || (known && state.generation <= known.generation)) return;
    known = state;
    void generations.hold(state.generation);
    for (const listener of [...listeners.keys()]) listener();
    if (remote) changes.next(state);
  }

  channel.onmessage = (event: MessageEvent<unknown>) => {
    const message = event.data as TabMessage | null;
    if (message?.type === 'state' && isSessionState(message.state)) learn(message.state, true);
    else if (message?.type === 'ask' && known && known.generation >= message.generation) post({ type: 'state', state: known });
  };

  function fromStorage(): void {
    const raw = storage?.getItem(prefix);
    if (!raw) return;
    try {
      const state: unknown = JSON.parse(raw);
      if (isSessionState(state)) learn(state, true);
    } catch {
      // Not ours, or damaged: the tabs' memory decides.
    }
  }

  // The newest state of all tabs: waits (bounded) until the newest generation any tab holds reaches us.
  async function newest(): Promise<SessionState | null> {
    fromStorage();
    let target = await generations.newest();
    if ((known?.generation ?? 0) >= target) return known;
    return new Promise<SessionState | null>((resolve, reject) => {
      const check = (): void => {
        if ((known?.generation ?? 0) < target) return;
        finish();
        resolve(known);
      };
      const finish = (): void => {
        listeners.delete(check);
        clearTimeout(deadline);
        clearInterval(again);
      };
      const deadline = setTimeout(() => {
        finish();
        reject(new Error(`No tab shared generation ${target} of the token state within ${answerTimeout} ms`));
      }, answerTimeout);
      // Ask again now and then, and look whether the tabs that knew it are still there: when all
      // of them closed, that generation is lost and the newest one left is the answer.
      const again = setInterval(() => {
        post({ type: 'ask', generation: target });
        void generations.newest().then((now) => {
          target = Math.min(target, now);
          check();
        });
      }, 100);
      listeners.set(check, (error) => {
        finish();
        reject(error);
      });
      post({ type: 'ask', generation: target });
    });
  }

  function underStoreLock<T>(work: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      holdExclusive(locks, `${prefix}:store`, env.holdLimit, {
        granted: () => work().then(resolve, (error: unknown) => reject(error)),
        failed: reject,
      });
    });
  }

  // Best effort: a full or blocked storage must not undo a write the other tabs already learned.
  function persist(state: SessionState): void {
    try {
      storage?.setItem(prefix, JSON.stringify(state));
    } catch {
      // The tabs' memory still holds it; only a reload with no tab open misses it.
    }
  }

  async function compareAndSet(next: SessionState, expected: number): Promise<SessionState> {
    const current = await newest();
    const generation = current?.generation ?? 0;
    if (generation !== expected || next.generation <= generation || (known && known.generation >= next.generation)) return current ?? nothingStored();
    // Told to the others in the same task as it is decided: a tab that learns it early is harmless.
    learn(next, false);
    post({ type: 'state', state: next });
    persist(next);
    // Answer only once the generation's lock is visible to every tab's query.
    await generations.hold(next.generation);
    return next;
  }

  return {
    read: () => defer(() => newest()),
    write: (next, expected) => defer(() => underStoreLock(() => compareAndSet(next, expected))),
    changes$: changes.asObservable(),
    dispose() {
      if (disposed) return;
      disposed = true;
      channel.onmessage = null;
      channel.close();
      generations.release();
      for (const stop of [...listeners.values()]) stop(new Error('The tab store was disposed'));
      listeners.clear();
      changes.complete();
    },
  };
}

// What a fenced write answers when nothing is stored and `expected` was not 0.
function nothingStored(): SessionState {
  return { tokens: null, generation: 0, revoked: false, receivedAt: Date.now(), change: 'sign-out' };
}
