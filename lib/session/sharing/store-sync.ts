import { BehaviorSubject, EMPTY, Subscription, catchError, endWith, merge, switchMap, take, timer, type Observable } from 'rxjs';
import type { RefreshSteps } from '../refresh-steps.js';
import type { SessionContext } from '../session-context.js';
import { LockedRefresh } from './locked-refresh.js';
import { MAX_WRITE_TRIES, createStoreAccess, reportStoreFailure, type StoreAccess } from './store-access.js';
import { StorePublisher } from './store-publisher.js';
import type { SessionState } from '../token-set.js';
import type { RefreshLock, TokenStore } from '../token-store.js';

/** The store side of a sharing session: its start, its refreshes, its sign-ins and sign-outs. */
export interface StoreSync extends RefreshSteps {
  /** Emits `true` once the first read of the store answered, failed or timed out. */
  readonly ready$: Observable<boolean>;
  /** Whether `ready$` has emitted `true`. */
  readonly ready: boolean;
  /** Shares a sign-in or sign-out made here: a fenced write outside the lock, tried again when refused. */
  publish(state: SessionState): void;
  dispose(): void;
}

/**
 * Connects a session to its {@link TokenStore}: the refresh under the lock
 * (`locked-refresh.ts`), sign-in and sign-out writes and change notices (`store-publisher.ts`),
 * and the start from the store's state.
 */
export function createStoreSync(ctx: SessionContext, store: TokenStore, lock: RefreshLock | undefined): StoreSync {
  const ready$ = new BehaviorSubject(false);
  const subscriptions = new Subscription();
  const access = createStoreAccess(ctx, store, lock);
  const publisher = new StorePublisher(ctx, access);
  const locked = new LockedRefresh(ctx, access, publisher.idle$);

  // A store that fails at once (a read that throws, storage the browser denies) fails while
  // createTokenSession runs, before anyone could subscribe to events$: say it after that turn.
  let starting = true;
  const report = (operation: 'read' | 'changes', error: unknown): void => (starting ? queueMicrotask(() => reportStoreFailure(ctx, operation, error)) : reportStoreFailure(ctx, operation, error));
  const changes$ = access.changes((failure) => report('changes', failure));
  if (changes$) subscriptions.add(changes$.subscribe({ next: (state) => publisher.notice(state), error: (error: unknown) => report('changes', error) }));
  subscriptions.add(startFromStore(ctx, access, publisher, report).subscribe(() => ready$.next(true)));
  starting = false;

  return {
    ready$: ready$.asObservable(),
    get ready() {
      return ready$.value;
    },
    refresh: (base, call, phase) => locked.refresh(base, call, phase),
    publish: (state) => publisher.publish(state),
    changePending: () => publisher.pending,
    dispose() {
      subscriptions.unsubscribe();
      ready$.next(true); // requests still waiting for the start go on, and fail as disposed
      ready$.complete();
      // A sign-in or sign-out still on its way, and a refresh whose token call was sent, go on
      // (each bounded) before the store and the lock close: neither may be lost to a dispose.
      publisher.dispose(() =>
        locked.whenSettled(() => {
          store.dispose?.();
          lock?.dispose?.();
        }),
      );
    },
  };
}

/**
 * The start: adopt the store's state, or write ours into an empty store. Emits once requests may
 * go on: when the read answered, failed, or took longer than `storeTimeout`. A later answer is
 * still taken while the session has not changed since, so a slow store never loses to stale
 * config tokens; and each `storeTimeout` without one asks again beside it (a few times), so one
 * lost read does not leave this session apart from the store for good.
 */
function startFromStore(ctx: SessionContext, access: StoreAccess, publisher: StorePublisher, report: (operation: 'read', error: unknown) => void): Observable<unknown> {
  const { scheduler, storeTimeout } = ctx.config;
  const initial = ctx.state$.value;
  const reads = Array.from({ length: MAX_WRITE_TRIES }, (_, i) => (i === 0 ? access.read() : timer(i * storeTimeout, scheduler).pipe(switchMap(() => access.read()))));
  const read$ = merge(...reads).pipe(
    take(1),
    switchMap((state) => {
      if (ctx.state$.value !== initial) return EMPTY; // the app signed in or out meanwhile: its write decides
      if (state) ctx.state$.next(state);
      else if (initial.tokens) publisher.publishStart(initial);
      return EMPTY;
    }),
    // A store that cannot be read may hold a newer state: start from our tokens without writing
    // them; the first refresh reads the store again under the lock.
    catchError((error: unknown) => {
      report('read', error);
      return EMPTY;
    }),
    endWith(undefined),
  );
  return merge(read$, timer(storeTimeout, scheduler));
}
