// A store and lock for the session specs: driven by a (test) scheduler, with knobs
// for the ways a real shared store misbehaves (slow, silent, notices that overtake answers).
import { NEVER, Observable, ReplaySubject, Subject, defer, map, of, throwError, timer, type SchedulerLike } from 'rxjs';
import { TokenRevokedError } from '../../lib/errors/token-revoked-error.js';
import type { RefreshLock, TokenStore } from '../../lib/session/token-store.js';
import type { SessionState, TokenSet } from '../../lib/session/token-set.js';

export interface VirtualStoreKnobs {
  /** ms before a read answers; `'never'` for a read that never settles. */
  readDelay?: number | 'never';
  /**
   * ms between the write call and the moment the store applies it (the atomic compare and set);
   * `'never'` for a write that is never applied nor answered (a dropped connection).
   */
  applyDelay?: number | 'never';
  /** ms between applying a write and its answer reaching the writer. */
  answerDelay?: number;
  /** ms between applying a write and its change notice reaching the members. */
  noticeDelay?: number;
  /** Whether unsubscribing from a write before it was applied cancels it (an aborted HTTP call). */
  cancellable?: boolean;
}

/** A fenced store in the scheduler's time: one value, compare-and-set on the generation. */
export interface VirtualStore extends TokenStore {
  current: SessionState | null;
  knobs: VirtualStoreKnobs;
  readonly reads: number;
  readonly writes: { at: number; expected: number; next: SessionState; applied: boolean }[];
  /** Another member (or process) writes directly, fenced like every write. */
  writeAsOther(next: Omit<SessionState, 'generation'>, at?: number): SessionState;
}

export function virtualStore(scheduler: SchedulerLike, knobs: VirtualStoreKnobs = {}, withChanges = true): VirtualStore {
  const changes = new Subject<SessionState>();
  let reads = 0;
  const writes: VirtualStore['writes'] = [];
  const apply = (next: SessionState, expected: number): boolean => {
    if ((store.current?.generation ?? 0) !== expected || next.generation <= expected) return false;
    store.current = next;
    const notice = store.knobs.noticeDelay ?? 0;
    if (notice === 0) changes.next(next);
    else scheduler.schedule(() => changes.next(next), notice);
    return true;
  };
  const store: VirtualStore = {
    current: null,
    knobs,
    get reads() {
      return reads;
    },
    writes,
    read: () => {
      reads++;
      const delay = store.knobs.readDelay ?? 0;
      if (delay === 'never') return NEVER;
      return delay === 0 ? of(store.current) : timer(delay, scheduler).pipe(map(() => store.current));
    },
    write: (next, expected) => {
      const record = { at: scheduler.now(), expected, next, applied: false };
      writes.push(record);
      const { applyDelay = 0, answerDelay = 0, cancellable = false } = store.knobs;
      if (applyDelay === 'never') return NEVER;
      const answer = new ReplaySubject<SessionState>(1);
      const settle = () => {
        record.applied = apply(next, expected);
        const held = store.current as SessionState;
        if (answerDelay === 0) {
          answer.next(held);
          answer.complete();
        } else {
          scheduler.schedule(() => (answer.next(held), answer.complete()), answerDelay);
        }
      };
      if (applyDelay === 0) {
        settle();
        return answer;
      }
      return new Observable<SessionState>((subscriber) => {
        const pending = scheduler.schedule(settle, applyDelay);
        const inner = answer.subscribe(subscriber);
        return () => {
          inner.unsubscribe();
          if (cancellable) pending.unsubscribe();
        };
      });
    },
    writeAsOther(next, at = scheduler.now()) {
      const expected = store.current?.generation ?? 0;
      const state = { ...next, generation: expected + 1, receivedAt: at };
      apply(state, expected);
      return state;
    },
  };
  if (withChanges) Object.assign(store, { changes$: changes.asObservable() });
  return store;
}

/** A FIFO mutex without promises, so it runs under a TestScheduler. `grant: false` never grants. */
export function virtualLock(options: { grant?: boolean } = {}): RefreshLock & { readonly runs: number } {
  const queue: (() => void)[] = [];
  let held = false;
  let runs = 0;
  const next = () => {
    const start = queue.shift();
    if (start) start();
    else held = false;
  };
  return {
    get runs() {
      return runs;
    },
    run: <T>(task: () => Observable<T>) =>
      new Observable<T>((subscriber) => {
        if (options.grant === false) return undefined;
        let released = false;
        let started = false;
        let inner: { unsubscribe(): void } | undefined;
        const release = () => {
          if (released) return;
          released = true;
          if (started) next();
          else if (queue.includes(start)) queue.splice(queue.indexOf(start), 1);
        };
        const start = () => {
          started = true;
          held = true;
          runs++;
          inner = task().subscribe({
            next: (value) => subscriber.next(value),
            error: (error: unknown) => (release(), subscriber.error(error)),
            complete: () => (release(), subscriber.complete()),
          });
        };
        if (held) queue.push(start);
        else start();
        return () => {
          inner?.unsubscribe();
          release();
        };
      }),
  };
}

/** Tokens of one user: the user's name is the prefix of both tokens. */
export function userTokens(user: string, n = 0): TokenSet {
  return { accessToken: `${user}-a${n}`, refreshToken: `${user}-r${n}` };
}

/** The user a token belongs to (see {@link userTokens}). */
export function userOf(tokens: TokenSet | null | undefined): string | null {
  const token = tokens?.refreshToken ?? tokens?.accessToken;
  return token === undefined ? null : (token.split('-')[0] as string);
}

/**
 * A token endpoint with rotation and reuse detection in virtual time: the refresh token is spent
 * when the call arrives (subscribe), the answer comes `latency` ms later; an aborted call changes
 * nothing of that. A spent token presented again revokes the family (`invalid_grant`).
 */
export function strictEndpoint(scheduler: SchedulerLike, latency: number) {
  const calls: string[] = [];
  const spent = new Set<string>();
  let reuse = 0;
  let revoked = false;
  const refresh = (refreshToken: string): Observable<TokenSet> =>
    defer(() => {
      calls.push(refreshToken);
      if (spent.has(refreshToken)) (reuse++, (revoked = true));
      if (revoked) return throwError(() => new TokenRevokedError());
      spent.add(refreshToken);
      return timer(latency, scheduler).pipe(map(() => userTokens('alice', calls.length)));
    });
  return {
    calls,
    refresh,
    get reuse() {
      return reuse;
    },
  };
}
