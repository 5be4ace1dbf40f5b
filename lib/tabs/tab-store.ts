import { Subject, defer } from 'rxjs';
import type { SessionState } from '../session/token-set.js';
import type { TokenStore } from '../session/token-store.js';
import { createGenerationLocks, type GenerationLocks } from './generation-locks.js';
import { holdExclusive } from './hold-exclusive.js';
import { tabStateOf, type TabMessage } from './tab-message.js';

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
  const store: TabStore = {
    env,
    generations: createGenerationLocks(env.locks, `${env.prefix}:gen:`),
    changes: new Subject<SessionState>(),
    listeners: new Map(),
    known: null,
    disposed: false,
  };
  env.channel.onmessage = (event: MessageEvent<unknown>) => onMessage(store, event.data as TabMessage | null);
  return {
    read: () => defer(() => newest(store)),
    write: (next, expected) => defer(() => underStoreLock(store, () => compareAndSet(store, next, expected))),
    changes$: store.changes.asObservable(),
    dispose: () => disposeStore(store),
  };
}

/** One tab's store: the page's env and what this tab knows, shared by the steps below. */
interface TabStore {
  readonly env: TabStoreEnv;
  readonly generations: GenerationLocks;
  readonly changes: Subject<SessionState>;
  /** Reads waiting for a generation: told of every state learned, and of dispose (`stop`). */
  readonly listeners: Map<() => void, (error: Error) => void>;
  known: SessionState | null;
  disposed: boolean;
}

function post(store: TabStore, message: TabMessage): void {
  if (!store.disposed) store.env.channel.postMessage(message);
}

/** Keeps `state` when it is newer than what this tab knows; tells the waiting reads. */
function learn(store: TabStore, state: SessionState, remote: boolean): void {
  if (store.disposed || (store.known && state.generation <= store.known.generation)) return;
  store.known = state;
  void store.generations.hold(state.generation);
  for (const listener of [...store.listeners.keys()]) listener();
  if (remote) store.changes.next(state);
}

/** Another tab's state is learned; another tab's question is answered when this tab knows enough. */
function onMessage(store: TabStore, message: TabMessage | null): void {
  const state = message?.type === 'state' ? tabStateOf(message.state) : undefined;
  if (state) learn(store, state, true);
  else if (message?.type === 'ask' && store.known && store.known.generation >= message.generation) post(store, { type: 'state', state: store.known });
}

/** Learns what `persist: 'local'` left in storage, e.g. from a tab since closed. */
function fromStorage(store: TabStore): void {
  const raw = store.env.storage?.getItem(store.env.prefix);
  if (!raw) return;
  try {
    const state = tabStateOf(JSON.parse(raw));
    if (state) learn(store, state, true);
  } catch {
    // Not ours, or damaged: the tabs' memory decides.
  }
}

/** The newest state of all tabs: waits (bounded) until the newest generation any tab holds reaches us. */
async function newest(store: TabStore): Promise<SessionState | null> {
  fromStorage(store);
  const target = await store.generations.newest();
  if ((store.known?.generation ?? 0) >= target) return store.known;
  return waitForGeneration(store, target);
}

/**
 * Asks the other tabs for generation `first` until it arrives, failing after `answerTimeout`.
 * Asks again now and then, and looks whether the tabs that knew it are still there: when all of
 * them closed, that generation is lost and the newest one left is the answer.
 */
function waitForGeneration(store: TabStore, first: number): Promise<SessionState | null> {
  let target = first;
  return new Promise<SessionState | null>((resolve, reject) => {
    const check = (): void => {
      if ((store.known?.generation ?? 0) < target) return;
      finish();
      resolve(store.known);
    };
    const finish = (): void => {
      store.listeners.delete(check);
      clearTimeout(deadline);
      clearInterval(again);
    };
    const deadline = setTimeout(() => {
      finish();
      reject(new Error(`No tab shared generation ${target} of the token state within ${store.env.answerTimeout} ms`));
    }, store.env.answerTimeout);
    const again = setInterval(() => {
      post(store, { type: 'ask', generation: target });
      void store.generations.newest().then((now) => {
        target = Math.min(target, now);
        check();
      });
    }, 100);
    store.listeners.set(check, (error) => {
      finish();
      reject(error);
    });
    post(store, { type: 'ask', generation: target });
  });
}

/** Runs `work` under the store's own short Web Lock, so compare-and-set is atomic across tabs. */
function underStoreLock<T>({ env }: TabStore, work: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    holdExclusive(env.locks, `${env.prefix}:store`, env.holdLimit, {
      granted: () => work().then(resolve, (error: unknown) => reject(error)),
      failed: reject,
    });
  });
}

// Best effort: a full or blocked storage must not undo a write the other tabs already learned.
function persist({ env }: TabStore, state: SessionState): void {
  try {
    env.storage?.setItem(env.prefix, JSON.stringify(state));
  } catch {
    // The tabs' memory still holds it; only a reload with no tab open misses it.
  }
}

/** The fenced write: `next` only when the newest generation is still `expected`; otherwise what is there. */
async function compareAndSet(store: TabStore, next: SessionState, expected: number): Promise<SessionState> {
  const current = await newest(store);
  const generation = current?.generation ?? 0;
  if (generation !== expected || next.generation <= generation || (store.known && store.known.generation >= next.generation)) return current ?? nothingStored();
  // Told to the others in the same task as it is decided: a tab that learns it early is harmless.
  learn(store, next, false);
  post(store, { type: 'state', state: next });
  persist(store, next);
  // Answer only once the generation's lock is visible to every tab's query.
  await store.generations.hold(next.generation);
  return next;
}

/** Stops listening, lets go of the generation lock, and fails the reads still waiting. */
function disposeStore(store: TabStore): void {
  if (store.disposed) return;
  store.disposed = true;
  store.env.channel.onmessage = null;
  store.env.channel.close();
  store.generations.release();
  for (const stop of [...store.listeners.values()]) stop(new Error('The tab store was disposed'));
  store.listeners.clear();
  store.changes.complete();
}

// What a fenced write answers when nothing is stored and `expected` was not 0.
function nothingStored(): SessionState {
  return { tokens: null, generation: 0, revoked: false, receivedAt: Date.now(), change: 'sign-out' };
}
