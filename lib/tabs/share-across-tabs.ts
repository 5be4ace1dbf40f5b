import { shareInMemory } from '../session/sharing/share-in-memory.js';
import { shareParts, type SharedParts } from '../session/sharing/share-store.js';
import { CONNECT_SESSION, type RefreshLock, type Share } from '../session/token-store.js';
import { checkDuration } from '../util/check-duration.js';
import { createTabLock } from './tab-lock.js';
import { createTabStore } from './tab-store.js';

/** How {@link shareAcrossTabs} shares a session between the tabs of one origin. Only `name` is required. */
export interface ShareAcrossTabsConfig {
  /**
   * Tells this share apart from others on the same origin (two apps, or two users): tabs share
   * tokens only with tabs that use the same `name`. Lock, channel and storage names start with
   * `rx-token-http:<name>`.
   */
  readonly name: string;
  /**
   * Where the tokens live besides the memory of the open tabs. By default nowhere: a new tab
   * asks the open ones, and with no tab open the app signs in again. `'local'` also keeps them in
   * `localStorage`, so a reload or a new window starts signed in; any script on the origin can
   * read them there (an XSS reads your refresh token).
   * @default undefined (memory of the open tabs only)
   */
  readonly persist?: 'local';
  /**
   * How long a read of the shared state waits for the newest generation to reach this tab from
   * the tab that has it (normally a few ms). A read that times out fails, and a refresh with it
   * fails with `TokenRefreshError` (reason `store-failed`) rather than deciding on an old copy.
   * The session's own `storeTimeout` (default 1000 ms) bounds how long requests wait at start.
   * @default 3000
   */
  readonly answerTimeout?: number;
  /**
   * The longest one tab may hold the refresh lock while another tab
   * waits for it: a tab whose main thread is blocked, or that the browser froze, keeps its Web
   * Lock, so after this long a waiting tab steals it (`steal: true`). Keep it below the
   * session's `refreshDeadline` (default 20000) so waiters still have time to refresh. The
   * store's short write lock is taken after `answerTimeout` + 1000 ms (or this, if shorter).
   * @default 10000
   */
  readonly holdLimit?: number;
}

export const TABS_DEFAULTS = { answerTimeout: 3_000, holdLimit: 10_000 } as const;

let warned = false;

/**
 * Shares a token session between the tabs of one origin: one refresh per expiry across every
 * tab, and sign-in, sign-out and revocation in one tab reach all of them. Give the result to
 * the session as `share`. The refresh lock is a Web Lock; the tokens live in the memory of the
 * open tabs and pass between them over a `BroadcastChannel` (see `persist`).
 *
 * Outside a page or web worker (server rendering, even on a runtime with Web Locks), and where
 * Web Locks or `BroadcastChannel` are missing (very old browsers, some webviews), it warns once per process on the console and returns a share that shares nothing:
 * every session given it, even the same result (a config evaluated once and reused by every
 * server request), is its own session, as without this helper.
 *
 * One result may be given to several sessions: each is a member of its own, as a tab is, and
 * disposing one never stops another.
 *
 * @example
 * const session = createTokenSession({
 *   refresh: oauth2RefreshGrant({ tokenUrl: 'https://auth.example.com/oauth/token', clientId: 'spa' }),
 *   share: shareAcrossTabs({ name: 'my-app' }),
 * });
 */
export function shareAcrossTabs(config: ShareAcrossTabsConfig): Share & { readonly lock: RefreshLock } {
  if (typeof config !== 'object' || config === null || typeof config.name !== 'string' || config.name === '') {
    throw new TypeError("shareAcrossTabs: pass a non-empty `name`, e.g. shareAcrossTabs({ name: 'my-app' })");
  }
  if (config.persist !== undefined && config.persist !== 'local') throw new TypeError("shareAcrossTabs: `persist` must be 'local' or left out");
  const answerTimeout = duration(config.answerTimeout, 'answerTimeout', TABS_DEFAULTS.answerTimeout);
  const holdLimit = duration(config.holdLimit, 'holdLimit', TABS_DEFAULTS.holdLimit);

  const locks = globalThis.navigator?.locks;
  if (!inBrowser() || typeof locks?.request !== 'function' || typeof globalThis.BroadcastChannel !== 'function') return shareNothing();

  const prefix = `rx-token-http:${config.name}`;
  const storage = localStorageOrUndefined();
  // Memory only: a set left at rest by an earlier `persist: 'local'` goes now.
  if (config.persist !== 'local') storage?.removeItem(prefix);
  // Each session gets a channel and lock of its own, as a tab of its own: its dispose closes
  // only those, and two sessions of one tab share tokens the way two tabs do.
  const open = (): SharedParts<RefreshLock> => ({
    store: createTabStore({
      locks,
      channel: new BroadcastChannel(prefix),
      storage: config.persist === 'local' ? storage : undefined,
      prefix,
      answerTimeout,
      // A healthy write holds it for one read (at most answerTimeout) and a lock grant.
      holdLimit: Math.min(holdLimit, answerTimeout + 1_000),
    }),
    lock: createTabLock(locks, `${prefix}:refresh`, holdLimit),
  });
  return shareParts(open, open);
}

/**
 * Where there is no medium to share through (server rendering, old browsers): a share that
 * connects no session, so each session given it, even the same result, is a session with no
 * `share`. A config evaluated once and reused by every server request thus never hands one
 * visitor's tokens to another. Its `store` and `lock` are this result's own, in memory.
 */
function shareNothing(): Share & { readonly lock: RefreshLock } {
  if (!warned) {
    warned = true;
    console.warn(
      'rx-token-http/tabs: no tabs here (server rendering), or no Web Locks or BroadcastChannel (an old browser), so sessions do not share tokens: ' +
        'each session refreshes on its own (in a browser, with refresh-token rotation, tabs may sign each other out).',
    );
  }
  const { store, lock } = shareInMemory();
  return { store, lock, [CONNECT_SESSION]: () => undefined };
}

/**
 * A page or a web worker: where tabs are. A server runtime may have Web Locks and
 * `BroadcastChannel` too (Node 24.5+ has both), but there they would share one process's
 * sessions, every server request's alike, which is never what a tab share means.
 */
function inBrowser(): boolean {
  return typeof globalThis.document !== 'undefined' || typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined';
}

function duration(value: number | undefined, key: string, fallback: number): number {
  return value === undefined ? fallback : checkDuration(value, `shareAcrossTabs: \`${key}\``, { min: 1 });
}

// Reading `localStorage` throws where storage is blocked (sandboxed frames, some privacy modes).
function localStorageOrUndefined(): Storage | undefined {
  try {
    return globalThis.localStorage ?? undefined;
  } catch {
    return undefined;
  }
}
