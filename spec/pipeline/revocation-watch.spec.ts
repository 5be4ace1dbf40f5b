import { NEVER, Observable, Subject, of, type Subscriber } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createHttpClient } from '../../lib/client/create-http-client.js';
import { TokenRevokedError } from '../../lib/errors/token-revoked-error.js';
import { revocationWatch, type Revocable } from '../../lib/pipeline/revocation-watch.js';
import type { CurrentToken, TokenAccess } from '../../lib/session/token-access.js';

const BASE = 'https://api.test';

/** A session whose revocation the test triggers, counting the subscriptions to `revoked$`. */
function revocableAccess() {
  const revocations = new Subject<void>();
  let revoked = false;
  let watchers = 0;
  let subscriptions = 0;
  const access: TokenAccess = {
    currentToken: () => of<CurrentToken>({ accessToken: 'token', generation: 1 }),
    tokenAfterRejection: () => of<CurrentToken>({ accessToken: 'token', generation: 1 }),
    report: () => undefined,
    revoked$: new Observable<void>((subscriber) => {
      subscriptions++;
      if (revoked) return subscriber.next();
      watchers++;
      const inner = revocations.subscribe(subscriber);
      return () => {
        watchers--;
        inner.unsubscribe();
      };
    }),
  };
  return {
    access,
    revoke() {
      revoked = true;
      revocations.next();
    },
    get watchers() {
      return watchers;
    },
    get subscriptions() {
      return subscriptions;
    },
  };
}

describe('requests in flight stop on a revocation through one watch per client', () => {
  it('stops all 200 requests in flight, with one subscription to revoked$ between them, released when they end', () => {
    const session = revocableAccess();
    const api = createHttpClient({ baseUrl: BASE, session: session.access, transport: () => NEVER, timeout: false });
    const errors: unknown[] = [];
    for (let i = 0; i < 200; i++) api.get(`/items/${i}`).subscribe({ error: (error: unknown) => errors.push(error) });
    expect(session.subscriptions).toBe(1);
    expect(session.watchers).toBe(1);

    session.revoke();

    expect(errors).toHaveLength(200);
    expect(errors.every((error) => error instanceof TokenRevokedError)).toBe(true);
    expect(session.watchers).toBe(0);
  });

  it('lets go of revoked$ when the last request in flight is unsubscribed, and watches again for the next', () => {
    const session = revocableAccess();
    const api = createHttpClient({ baseUrl: BASE, session: session.access, transport: () => NEVER, timeout: false });
    const first = api.get('/a').subscribe();
    const second = api.get('/b').subscribe();
    first.unsubscribe();
    expect(session.watchers).toBe(1);
    second.unsubscribe();
    expect(session.watchers).toBe(0);

    const errors: unknown[] = [];
    api.get('/c').subscribe({ error: (error: unknown) => errors.push(error) });
    expect(session.watchers).toBe(1);
    session.revoke();
    expect(errors).toEqual([new TokenRevokedError()]);
  });

  it('fails a request started on a revoked session at once, and one started by another’s error handler too', () => {
    const session = revocableAccess();
    let sent = 0;
    const api = createHttpClient({
      baseUrl: BASE,
      session: session.access,
      transport: () => {
        sent++;
        return NEVER;
      },
      timeout: false,
    });
    const errors: string[] = [];
    api.get('/first').subscribe({
      error() {
        errors.push('first');
        api.get('/from-handler').subscribe({ error: (error: unknown) => errors.push(error instanceof TokenRevokedError ? 'from-handler revoked' : 'other') });
      },
    });
    session.revoke();
    api.get('/later').subscribe({ error: (error: unknown) => errors.push(error instanceof TokenRevokedError ? 'later revoked' : 'other') });

    expect(errors).toEqual(['first', 'from-handler revoked', 'later revoked']);
    expect(sent).toBe(1); // only the first was sent: the others never reached the transport
    expect(session.watchers).toBe(0);
  });
});

describe('revocationWatch', () => {
  class Stop implements Revocable {
    constructor(readonly revoke: () => void) {}
  }

  it('calls each stop once per revocation, in the order they joined, until removed, and subscribes only while something is watched', () => {
    const revocations = new Subject<void>();
    const watch = revocationWatch(revocations);
    const calls: string[] = [];
    const [a, b, c] = ['a', 'b', 'c'].map((name) => new Stop(() => calls.push(name))) as [Stop, Stop, Stop];
    watch.add(a);
    watch.add(b);
    watch.add(c);
    expect(revocations.observed).toBe(true);
    revocations.next();
    watch.remove(b);
    revocations.next();
    watch.remove(a);
    watch.remove(c);
    watch.remove(c); // twice is harmless
    expect(revocations.observed).toBe(false);
    revocations.next();
    expect(calls).toEqual(['a', 'b', 'c', 'a', 'c']);
  });

  it('skips a request that a stop before it ended, and still stops the ones after it', () => {
    const revocations = new Subject<void>();
    const watch = revocationWatch(revocations);
    const calls: string[] = [];
    const b = new Stop(() => calls.push('b'));
    const c = new Stop(() => calls.push('c'));
    const a = new Stop(() => {
      calls.push('a');
      watch.remove(a);
      watch.remove(b); // e.g. the app unsubscribes a sibling request when the first one fails
    });
    for (const s of [a, b, c]) watch.add(s);
    revocations.next();
    expect(calls).toEqual(['a', 'c']);
  });

  it('keeps no subscription when revoked$ emits synchronously and the only watcher leaves in its stop', () => {
    let subscriber: Subscriber<void> | undefined;
    let unsubscribed = 0;
    const revoked$ = new Observable<void>((s) => {
      subscriber = s;
      s.next();
      return () => unsubscribed++;
    });
    const watch = revocationWatch(revoked$);
    let stops = 0;
    const only: Stop = new Stop(() => {
      stops++;
      watch.remove(only);
    });
    watch.add(only);
    watch.remove(only);
    expect(stops).toBe(1);
    expect(unsubscribed).toBe(1);
    expect(subscriber?.closed).toBe(true);
  });
});
