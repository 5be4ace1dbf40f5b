import { NEVER, Observable, Subject, defer, from, merge, of, switchMap, tap, throwError, timer, type ObservableInput } from 'rxjs';
import { shareInMemory } from '../../lib/session/sharing/share-in-memory.js';
import type { SessionState } from '../../lib/session/token-set.js';
import type { RefreshLock, TokenStore } from '../../lib/session/token-store.js';

/** Invalid shared contents a tampered (or corrupted) store may answer with (issue 21, item 5). */
export type Tamper = 'abc' | 'infinite' | 'unsafe' | 'string';

/** One accepted write, in the store's order: the store's history. */
export interface StoreWrite {
  readonly state: SessionState;
  /** The connection that wrote it. */
  readonly by: string;
  /** When the store accepted it, on the run's event clock. */
  readonly at: number;
}

/** A tampered answer that reached a connection (its read, or its change notices while observed). */
export interface TamperDelivery {
  readonly connection: string;
  readonly kind: Tamper;
  readonly via: 'read' | 'notice';
  /** Position in the run's event clock (see `tick`), to tell a report that came after it. */
  readonly at: number;
}

/** What one member (or several sessions given one share object) holds: like one Redis connection. */
export interface StoreConnection {
  readonly label: string;
  readonly store: TokenStore;
  readonly lock: RefreshLock;
  readonly disposed: boolean;
}

/**
 * The shared store of the model: `shareInMemory()` behind a few ms of latency, with one call that
 * never answers on demand (`hang`), tampered answers on demand, a history of accepted writes, and
 * connections that, like a `shareThroughRedis()` connection, stop working once disposed (a call
 * after that is recorded and fails).
 */
export interface ModelStore {
  connect(label: string): StoreConnection;
  readonly history: readonly StoreWrite[];
  current(): SessionState | null;
  readonly hang: { next: 'read' | 'write' | 'lock' | undefined };
  /** The next read, of any connection, answers tampered contents instead of the state. */
  tamperNextRead(kind: Tamper): void;
  /** Every connection still observing its change notices receives tampered contents. */
  tamperNotice(kind: Tamper): void;
  readonly tampered: readonly TamperDelivery[];
  /** Store or lock calls made through a connection after it was disposed. */
  readonly callsAfterDispose: readonly string[];
}

/** Tampered contents built on the state now (a string replaces the state as a whole). */
export function tamperedState(kind: Tamper, state: SessionState | null): SessionState {
  const base = state ?? { tokens: null, generation: 1, revoked: false, receivedAt: 0, change: 'sign-in' as const };
  const generation = { abc: 'abc', infinite: Number('1e400'), unsafe: 2 ** 53 + 1, string: 0 }[kind];
  // Deliberately not a SessionState: what a compromised or corrupted store might hand back.
  return (kind === 'string' ? 'not a session state' : { ...base, generation }) as unknown as SessionState;
}

/**
 * `delay`: ms every store call waits; `jitter`, when given, adds 0 to 2 ms more per call (a
 * seeded random source, so one seed still makes one run) to reorder calls of equal latency.
 */
export function createModelStore(delay: number, tick: () => number, jitter?: () => number): ModelStore {
  const shared = shareInMemory();
  const history: StoreWrite[] = [];
  const tampered: TamperDelivery[] = [];
  const callsAfterDispose: string[] = [];
  const noticeTaps = new Set<{ label: string; subject: Subject<SessionState> }>();
  const hang: ModelStore['hang'] = { next: undefined };
  let tamperRead: Tamper | undefined;

  const slow = <T>(what: 'read' | 'write', call: () => ObservableInput<T>): Observable<T> => {
    if (hang.next === what) {
      hang.next = undefined;
      return NEVER;
    }
    return timer(delay + (jitter ? Math.floor(jitter() * 3) : 0)).pipe(switchMap(() => from(call())));
  };

  const connect = (label: string): StoreConnection => {
    let disposed = false;
    const tap$ = { label, subject: new Subject<SessionState>() };
    noticeTaps.add(tap$);
    const closed = (what: string) => {
      callsAfterDispose.push(`${label}: ${what}`);
      return throwError(() => new Error(`The model store connection ${label} was disposed`));
    };
    const read = (): Observable<SessionState | null> =>
      slow('read', () => {
        if (tamperRead === undefined) return shared.store.read();
        const kind = tamperRead;
        tamperRead = undefined;
        tampered.push({ connection: label, kind, via: 'read', at: tick() });
        return of(tamperedState(kind, shared.current));
      });
    const write = (next: SessionState, expected: number): Observable<SessionState> =>
      slow('write', () =>
        defer(() => {
          const before = shared.current;
          return from(shared.store.write(next, expected)).pipe(
            tap(() => {
              if (shared.current !== before) history.push({ state: shared.current as SessionState, by: label, at: tick() });
            }),
          );
        }),
      );
    const store: TokenStore = {
      read: () => (disposed ? closed('read') : read()),
      write: (next, expected) => (disposed ? closed('write') : write(next, expected)),
      changes$: merge(shared.store.changes$!, tap$.subject),
      dispose: () => {
        disposed = true;
        noticeTaps.delete(tap$);
      },
    };
    const lock: RefreshLock = {
      run: (task) => {
        if (disposed) return closed('lock');
        if (hang.next !== 'lock') return shared.lock.run(task);
        hang.next = undefined;
        return NEVER;
      },
      dispose: () => {
        disposed = true;
      },
    };
    return {
      label,
      store,
      lock,
      get disposed() {
        return disposed;
      },
    };
  };

  return {
    connect,
    history,
    current: () => shared.current,
    hang,
    tamperNextRead: (kind) => (tamperRead = kind),
    tamperNotice(kind) {
      const state = tamperedState(kind, shared.current);
      for (const { label, subject } of noticeTaps) {
        if (!subject.observed) continue;
        tampered.push({ connection: label, kind, via: 'notice', at: tick() });
        subject.next(state);
      }
    },
    tampered,
    callsAfterDispose,
  };
}
