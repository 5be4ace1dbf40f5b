// What the session specs share (once the top of create-token-session.spec.ts): the token sets, the
// stop error, and the marble scheduler with the session factory on it.
import { map, type Observable, type SchedulerLike, timer } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { beforeEach } from 'vitest';
import { TokenRefreshError } from '../../lib/errors/token-refresh-error.js';
import { createTokenSession, type TokenSession, type TokenSessionConfig } from '../../lib/session/create-token-session.js';
import type { SessionEvent } from '../../lib/session/session-event.js';
import type { TokenSet } from '../../lib/session/token-set.js';
import { createTestScheduler } from '../helpers/marbles.js';
import { userTokens } from '../helpers/virtual-store.js';

export const t0: TokenSet = { accessToken: 'access-0', refreshToken: 'refresh-0' };
export const t1: TokenSet = { accessToken: 'access-1', refreshToken: 'refresh-1' };
export const t2: TokenSet = { accessToken: 'access-2', refreshToken: 'refresh-2' };

export const stopped = new TokenRefreshError('The session was signed out or disposed during the refresh', { reason: 'signed-out' });

/**
 * The marble scheduler of the running test. A describe calls `useTestScheduler()` once; its tests
 * read `testScheduler` (a live binding: a fresh scheduler before each test).
 */
export let testScheduler: TestScheduler;

export function useTestScheduler(): void {
  beforeEach(() => {
    testScheduler = createTestScheduler();
  });
}

/** A session on `testScheduler`, from `t0` unless told, with the events it emits. */
export function session(config: Partial<TokenSessionConfig> & Pick<TokenSessionConfig, 'refresh'>) {
  const created = createTokenSession({ tokens: t0, scheduler: testScheduler, ...config });
  const events: SessionEvent[] = [];
  created.events$.subscribe((event) => events.push(event));
  return { session: created, events };
}

/** The access token of each grant. */
export const token = (grant$: Observable<{ accessToken: string | null }>) => grant$.pipe(map((grant) => grant.accessToken));

/** Subscribes at `at` and records when and how it ended. */
export function record(source: () => Observable<unknown>, at = 0) {
  const result: { at?: number; value?: unknown; error?: unknown } = {};
  testScheduler.schedule(() => {
    source().subscribe({
      next: (value) => (result.value = value),
      error: (error: unknown) => ((result.at = testScheduler.now()), (result.error = error)),
      complete: () => (result.at = testScheduler.now()),
    });
  }, Math.max(0, at - testScheduler.now())); // `at` is absolute virtual time
  return result;
}

/** Asks `session` to refresh its generation `ms` from now; what it got: access tokens, or error names. */
export function refreshIn(session: TokenSession, ms: number): (string | null)[] {
  const got: (string | null)[] = [];
  testScheduler.schedule(() => session.token(session.state.generation).subscribe({ next: (t) => got.push(t.accessToken), error: (e: Error) => got.push(e.name) }), ms);
  return got;
}

/** Alice's session on `testScheduler`, with the events it emits. */
export function watched(config: Partial<TokenSessionConfig> & Pick<TokenSessionConfig, 'refresh'>): { session: TokenSession; events: SessionEvent[] } {
  const session = createTokenSession({ tokens: userTokens('alice'), scheduler: testScheduler, ...config });
  const events: SessionEvent[] = [];
  session.events$.subscribe((event) => events.push(event));
  return { session, events };
}

/** Alice's tokens numbered `n`, 10 ms after the call, as a token endpoint would answer. */
export const fresh = (n: number): Observable<TokenSet> => timer(10, testScheduler).pipe(map(() => userTokens('alice', n)));

// A clock that can jump ahead while timers stay where they were armed: what a machine that sleeps
// (or a suspended VM) looks like to a process. Timers keep virtual time; `now()` says how late they fire.
export function sleepyClock(scheduler: TestScheduler) {
  let slept = 0;
  const clock: SchedulerLike = {
    now: () => scheduler.now() + slept,
    schedule: (...args: Parameters<TestScheduler['schedule']>) => scheduler.schedule(...args),
  };
  const sleepAt = (at: number, ms: number) => scheduler.schedule(() => (slept += ms), at);
  return { clock, sleepAt };
}

// A token endpoint on `clock`: call n answers after 1 ms with tokens living `life` ms from then,
// or fails with `fail(n)` when that gives an error.
export function endpoint(clock: SchedulerLike, life: number, fail: (n: number) => Error | undefined = () => undefined) {
  const calls: number[] = [];
  const refresh = (): Observable<TokenSet> => {
    const n = calls.push(testScheduler.now());
    const error = fail(n);
    return timer(1, clock).pipe(
      map(() => {
        if (error) throw error;
        return { accessToken: `access-${n}`, refreshToken: `refresh-${n}`, expiresAt: clock.now() + life };
      }),
    );
  };
  return { calls, refresh };
}
