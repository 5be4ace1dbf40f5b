// lib/session/page-wakes.ts: a page that comes back to life (visible again, resumed from frozen,
// restored from the back/forward cache) makes refresh-ahead re-check its token at once (issue 26),
// and honours the backoff a failed attempt armed (a page flipping visibility against a failing
// token endpoint calls it at the backoff's pace, not once per flip).
import { throwError } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HttpError } from '../../lib/errors/request-error.js';
import { pageWakes } from '../../lib/session/page-wakes.js';
import { createTokenSession, type TokenSessionConfig } from '../../lib/session/create-token-session.js';
import { endpoint, session, sleepyClock, t0, testScheduler, useTestScheduler } from './session-fixtures.js';

// A fake `document` (hidden at first) whose events the specs dispatch by hand.
const listeners = new Map<string, Set<(event: Event) => void>>();
const fakeDocument = {
  visibilityState: 'hidden',
  addEventListener: (type: string, listener: (event: Event) => void) => listeners.set(type, (listeners.get(type) ?? new Set()).add(listener)),
  removeEventListener: (type: string, listener: (event: Event) => void) => listeners.get(type)?.delete(listener),
};
const dispatch = (type: string) => listeners.get(type)?.forEach((listener) => listener(new Event(type)));
const count = () => [...listeners.values()].reduce((sum, set) => sum + set.size, 0);
const becomeVisible = () => ((fakeDocument.visibilityState = 'visible'), dispatch('visibilitychange'));
const flip = () => ((fakeDocument.visibilityState = 'hidden'), dispatch('visibilitychange'), becomeVisible());

/** Installs the fake document, hidden, for each test of the calling describe. */
function useHiddenPage(): void {
  beforeEach(() => {
    (globalThis as { document?: unknown }).document = fakeDocument;
    fakeDocument.visibilityState = 'hidden';
  });
  afterEach(() => {
    delete (globalThis as { document?: unknown }).document;
    listeners.clear();
  });
}

/**
 * A refreshAhead session on a clock that can sleep, from a token that expires at `expiresAt`
 * (120 s: due at 90 s); its endpoint fails with `fail(n)` where that gives an error. Call inside
 * `testScheduler.run`.
 */
function pageSession(config: Partial<TokenSessionConfig> = {}, fail?: (n: number) => Error | undefined, expiresAt = 120_000) {
  const { clock, sleepAt } = sleepyClock(testScheduler);
  const token = endpoint(clock, 120_000, fail);
  const { session: s } = session({ tokens: { ...t0, expiresAt }, refreshAhead: true, refresh: token.refresh, scheduler: clock, ...config });
  return { s, token, sleepAt };
}

describe('refreshAhead when the page comes back (issue 26)', () => {
  useTestScheduler();
  useHiddenPage();

  for (const [name, wake] of [
    ['becomes visible (visibilitychange)', becomeVisible],
    ['resumes from frozen (resume)', () => dispatch('resume')],
  ] as const) {
    it(`re-checks at once when the page ${name}, and refreshes once if due`, () => {
      testScheduler.run(() => {
        const { s, token, sleepAt } = pageSession();
        sleepAt(10_000, 200_000);
        testScheduler.schedule(wake, 12_000);
        testScheduler.schedule(wake, 12_500);
        testScheduler.schedule(() => s.dispose(), 20_000);
        testScheduler.flush();
        expect(token.calls).toEqual([12_000]);
      });
    });
  }

  it('ignores a page that becomes hidden, and removes its listeners on dispose', () => {
    testScheduler.run(() => {
      const { s, token, sleepAt } = pageSession();
      expect(count()).toBeGreaterThan(0);
      sleepAt(10_000, 200_000);
      testScheduler.schedule(() => dispatch('visibilitychange'), 12_000);
      testScheduler.schedule(() => s.dispose(), 20_000);
      testScheduler.flush();
      expect(token.calls).toEqual([]);
      expect(count()).toBe(0);
    });
  });

  it('listens to nothing without refreshAhead', () => {
    const s = createTokenSession({ tokens: t0, refresh: () => throwError(() => new Error('unused')) });
    expect(count()).toBe(0);
    s.dispose();
  });
});

describe('refreshAhead when the page comes back after a failed attempt', () => {
  useTestScheduler();
  useHiddenPage();
  const refreshRetry = { maxRetries: 0, baseDelay: 1_000, maxDelay: 4_000 };
  const unavailable = () => new HttpError({ method: 'POST', url: 'https://auth.example/token', status: 503, headers: new Headers() });
  const flipsEvery500msFrom = (start: number, flips: number) => {
    for (let i = 0; i < flips; i++) testScheduler.schedule(flip, start + 500 * i);
  };

  it('calls a failing endpoint at the backoff\'s pace however often the page flips visibility', () => {
    testScheduler.run(() => {
      const { s, token } = pageSession({ refreshRetry }, unavailable);
      flipsEvery500msFrom(90_500, 10);
      testScheduler.schedule(() => s.dispose(), 99_000);
      testScheduler.flush();
      // As without any flip: due at 90 s, then 1, 2 and 4 s after each failure. Before: one call per flip (13).
      expect(token.calls).toEqual([90_000, 91_001, 93_002, 97_003]);
    });
  });

  it('tries once, at the backoff\'s end, when the network comes back (online) after the refresh-ahead gave up', () => {
    testScheduler.run(() => {
      const page = globalThis as { addEventListener?: unknown; removeEventListener?: unknown };
      page.addEventListener = fakeDocument.addEventListener;
      page.removeEventListener = fakeDocument.removeEventListener;
      try {
        const { s, token } = pageSession({ refreshRetry: { ...refreshRetry, maxDelay: 10_000 } }, (n) => (n <= 5 ? unavailable() : undefined), 100_000);
        // Gave up after the failure at 90 005; online 2 s later: the attempt waits for 100 005.
        testScheduler.schedule(() => dispatch('online'), 92_000);
        testScheduler.schedule(() => s.dispose(), 120_000);
        testScheduler.flush();
        expect(token.calls).toEqual([75_000, 76_001, 78_002, 82_003, 90_004, 100_005]);
        expect(s.state.generation).toBe(1);
      } finally {
        delete page.addEventListener;
        delete page.removeEventListener;
      }
    });
  });

  it('tries again at once on a wake that comes after the armed retry was due by the clock (its timer slept)', () => {
    testScheduler.run(() => {
      const { s, token, sleepAt } = pageSession({ refreshRetry }, (n) => (n === 1 ? unavailable() : undefined));
      // The first attempt fails at 90 001 and arms a retry 1 s later; the machine sleeps 5 s at 90 500.
      sleepAt(90_500, 5_000);
      testScheduler.schedule(becomeVisible, 90_600);
      testScheduler.schedule(() => s.dispose(), 99_000);
      testScheduler.flush();
      expect(token.calls).toEqual([90_000, 90_600]);
      expect(s.state.generation).toBe(1);
    });
  });

  it('keeps that pace once it gave up arming retries (the next would come after expiry): a wake brings one attempt at the backoff\'s end', () => {
    testScheduler.run(() => {
      const { s, token } = pageSession({ refreshRetry: { ...refreshRetry, maxDelay: 10_000 } }, unavailable, 100_000);
      flipsEvery500msFrom(100_000, 21);
      testScheduler.schedule(() => s.dispose(), 111_000);
      testScheduler.flush();
      // Due at 75 s; gave up after 90 004 (10 s later is past expiry). The flip at 100 000 brings an
      // attempt at 100 005 (10 s after the failure), the next flips one 10 s after that one's failure.
      expect(token.calls).toEqual([75_000, 76_001, 78_002, 82_003, 90_004, 100_005, 110_006]);
      expect(s.state.tokens).not.toBeNull();
    });
  });

  it('still refreshes once when the page comes back with the token due and no attempt failed', () => {
    testScheduler.run(() => {
      const { s, token } = pageSession({ refreshRetry });
      flipsEvery500msFrom(89_000, 4);
      testScheduler.schedule(() => s.dispose(), 99_000);
      testScheduler.flush();
      expect(token.calls).toEqual([90_000]);
    });
  });
});

describe('pageWakes', () => {
  it('hears nothing where there is no document (Node), as before issue 26', () => {
    let heard = false;
    const subscription = pageWakes().subscribe(() => (heard = true));
    expect(heard).toBe(false);
    subscription.unsubscribe();
  });

  it('hears pageshow and online on the global object (a window), and removes those listeners too', () => {
    const page = globalThis as { document?: unknown; addEventListener?: unknown; removeEventListener?: unknown };
    const listeners = new Map<(event: Event) => void, string>();
    page.document = { addEventListener: () => undefined, removeEventListener: () => undefined };
    page.addEventListener = (type: string, listener: (event: Event) => void) => listeners.set(listener, type);
    page.removeEventListener = (_type: string, listener: (event: Event) => void) => listeners.delete(listener);
    try {
      let heard = 0;
      const subscription = pageWakes().subscribe(() => heard++);
      expect([...listeners.values()].sort()).toEqual(['online', 'pageshow']);
      listeners.forEach((type, listener) => listener(new Event(type)));
      expect(heard).toBe(2);
      subscription.unsubscribe();
      expect(listeners.size).toBe(0);
    } finally {
      delete page.document;
      delete page.addEventListener;
      delete page.removeEventListener;
    }
  });
});
