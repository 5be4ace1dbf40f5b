// lib/session/page-wakes.ts: a page that comes back to life (visible again, resumed from frozen,
// restored from the back/forward cache) makes refresh-ahead re-check its token at once (issue 26).
import { throwError } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { pageWakes } from '../../lib/session/page-wakes.js';
import { createTokenSession } from '../../lib/session/create-token-session.js';
import { endpoint, session, sleepyClock, t0, testScheduler, useTestScheduler } from './session-fixtures.js';

describe('refreshAhead when the page comes back (issue 26)', () => {
  useTestScheduler();
  const listeners = new Map<string, Set<(event: Event) => void>>();
  const fakeDocument = {
    visibilityState: 'hidden',
    addEventListener: (type: string, listener: (event: Event) => void) => listeners.set(type, (listeners.get(type) ?? new Set()).add(listener)),
    removeEventListener: (type: string, listener: (event: Event) => void) => listeners.get(type)?.delete(listener),
  };
  const dispatch = (type: string) => listeners.get(type)?.forEach((listener) => listener(new Event(type)));
  const count = () => [...listeners.values()].reduce((sum, set) => sum + set.size, 0);
  afterEach(() => {
    delete (globalThis as { document?: unknown }).document;
    listeners.clear();
  });

  for (const [name, wake] of [
    ['becomes visible (visibilitychange)', () => ((fakeDocument.visibilityState = 'visible'), dispatch('visibilitychange'))],
    ['resumes from frozen (resume)', () => dispatch('resume')],
  ] as const) {
    it(`re-checks at once when the page ${name}, and refreshes once if due`, () => {
      (globalThis as { document?: unknown }).document = fakeDocument;
      fakeDocument.visibilityState = 'hidden';
      testScheduler.run(() => {
        const { clock, sleepAt } = sleepyClock(testScheduler);
        const token = endpoint(clock, 120_000);
        const { session: s } = session({ tokens: { ...t0, expiresAt: 120_000 }, refreshAhead: true, refresh: token.refresh, scheduler: clock });
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
    (globalThis as { document?: unknown }).document = fakeDocument;
    fakeDocument.visibilityState = 'hidden';
    testScheduler.run(() => {
      const { clock, sleepAt } = sleepyClock(testScheduler);
      const token = endpoint(clock, 120_000);
      const { session: s } = session({ tokens: { ...t0, expiresAt: 120_000 }, refreshAhead: true, refresh: token.refresh, scheduler: clock });
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
    (globalThis as { document?: unknown }).document = fakeDocument;
    const s = createTokenSession({ tokens: t0, refresh: () => throwError(() => new Error('unused')) });
    expect(count()).toBe(0);
    s.dispose();
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
