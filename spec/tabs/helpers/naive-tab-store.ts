import { defer, of, Subject } from 'rxjs';
import type { SessionState } from '../../../lib/session/token-set.js';
import { shareStore } from '../../../lib/session/sharing/share-store.js';
import type { RefreshLock, Share, TokenStore } from '../../../lib/session/token-store.js';
import { createTabLock } from '../../../lib/tabs/tab-lock.js';

/**
 * The design the issue warns about, kept only as a control for the race (bench/tabs.ts): the
 * same Web Lock, but a store that answers reads from this tab's copy, trusting that the previous
 * holder's BroadcastChannel message arrived before the lock did. Writes still compare and set
 * under a Web Lock, against the same stale copy.
 */
export function shareNaively(name: string): Share & { readonly lock: RefreshLock } {
  const prefix = `rx-token-http-naive:${name}`;
  const channel = new BroadcastChannel(prefix);
  const changes = new Subject<SessionState>();
  let known: SessionState | null = null;
  channel.onmessage = (event: MessageEvent<SessionState>) => {
    if (!known || event.data.generation > known.generation) {
      known = event.data;
      changes.next(event.data);
    }
  };
  const store: TokenStore = {
    read: () => defer(() => of(known)),
    write: (next, expected) =>
      defer(() =>
        navigator.locks.request(`${prefix}:store`, async () => {
          if ((known?.generation ?? 0) !== expected) return known ?? next;
          known = next;
          channel.postMessage(next);
          return next;
        }),
      ),
    changes$: changes.asObservable(),
    dispose: () => channel.close(),
  };
  return shareStore(store, createTabLock(navigator.locks, `${prefix}:refresh`, 10_000));
}
