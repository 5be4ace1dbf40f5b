import { NEVER, Observable, Subject, of, throwError } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createHttpClient } from '../../lib/client/create-http-client.js';
import { TokenRevokedError } from '../../lib/errors/token-revoked-error.js';
import { stopWhenSessionEnds } from '../../lib/request/stop-when-session-ends.js';
import { createTokenSession } from '../../lib/session/create-token-session.js';
import type { CurrentToken, TokenAccess } from '../../lib/session/token-access.js';

const BASE = 'https://api.test';

/** A session whose revocation the test triggers, counting the subscriptions to `revoked$`. */
function revocableAccess() {
  const revocations = new Subject<void>();
  let revoked = false;
  let watchers = 0;
  let subscriptions = 0;
  const access: TokenAccess = {
    token: () => of<CurrentToken>({ accessToken: 'token', generation: 1 }),
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

describe('requests in flight stop on the session\'s end through one watch per client (stopWhenSessionEnds in the request path)', () => {
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

describe("a session's revoked$ in the request path", () => {
  const tokens = { accessToken: 'access-1', refreshToken: 'refresh-1', expiresAt: Date.now() + 3_600_000 };

  /** A session whose refresh ends it (invalid_grant), the subscriptions to its `revoked$` counted. */
  function revocableSession() {
    const session = createTokenSession({ tokens, refresh: () => throwError(() => new TokenRevokedError()), refreshAhead: false });
    const counts = { added: 0, removed: 0 };
    const access: TokenAccess = {
      token: (rejected) => session.token(rejected),
      report: (event) => session.report(event),
      revoked$: new Observable<TokenRevokedError | void>((subscriber) => {
        counts.added++;
        const inner = session.revoked$.subscribe(subscriber);
        return () => {
          counts.removed++;
          inner.unsubscribe();
        };
      }),
    };
    return { session, access, counts, revoke: () => session.refresh$.subscribe({ error: () => undefined }) };
  }

  it('stops all 200 requests in flight on invalid_grant through one subscription to revoked$, and lets it go when they end', () => {
    const { access, counts, revoke } = revocableSession();
    const api = createHttpClient({ baseUrl: BASE, session: access, transport: () => NEVER, timeout: false });
    const errors: unknown[] = [];
    for (let i = 0; i < 200; i++) api.get(`/items/${i}`).subscribe({ error: (error: unknown) => errors.push(error) });
    expect(counts).toEqual({ added: 1, removed: 0 });

    revoke();

    expect(errors).toHaveLength(200);
    expect(errors.every((error) => error instanceof TokenRevokedError)).toBe(true);
    expect(counts).toEqual({ added: 1, removed: 1 });
  });

  it('stops what is in flight once, in the order it started, and nothing that left', () => {
    const { session, access, revoke } = revocableSession();
    const api = createHttpClient({ baseUrl: BASE, session: access, transport: () => NEVER, timeout: false });
    const calls: string[] = [];
    const [a, b, c] = ['a', 'b', 'c'].map((name) => api.get(`/${name}`).subscribe({ error: () => calls.push(name) }));
    b?.unsubscribe();
    revoke();
    session.setTokens(tokens);
    revoke();
    expect(calls).toEqual(['a', 'c']);
    expect([a?.closed, c?.closed]).toEqual([true, true]);
  });

  it('lets go of requests that complete, fail or are unsubscribed, and revokes none of them later', () => {
    const { access, counts, revoke } = revocableSession();
    let answer = 0;
    const transport = () => (++answer === 2 ? throwError(() => new TypeError('refused')) : answer === 3 ? NEVER : of({ status: 200, statusText: 'OK', headers: new Headers(), body: 1, url: `${BASE}/x` }));
    const api = createHttpClient({ baseUrl: BASE, session: access, transport, timeout: false, retry: false });
    const seen: string[] = [];
    api.get('/done').subscribe({ next: () => seen.push('done'), error: () => seen.push('done failed') });
    api.get('/fails').subscribe({ error: (error: unknown) => seen.push(error instanceof TypeError ? 'fails' : 'fails revoked') });
    api.get('/dropped').subscribe({ error: () => seen.push('dropped revoked') }).unsubscribe();
    expect(counts).toEqual({ added: 3, removed: 3 });

    revoke();

    expect(seen).toEqual(['done', 'fails']);
  });

  it('fails a request started on a revoked session at once, and one a handler starts after signing in again goes on', () => {
    const { session, revoke } = revocableSession();
    let sent = 0;
    const api = createHttpClient({
      baseUrl: BASE,
      session,
      transport: () => {
        sent++;
        return NEVER;
      },
      timeout: false,
    });
    const outcomes: string[] = [];
    const watchOutcome = (name: string) => ({ error: (error: unknown) => outcomes.push(`${name} ${error instanceof TokenRevokedError ? 'revoked' : 'other'}`) });
    api.get('/first').subscribe({
      error() {
        outcomes.push('first revoked');
        api.get('/from-handler').subscribe(watchOutcome('from-handler'));
      },
    });
    api.get('/second').subscribe({
      error() {
        outcomes.push('second revoked');
        session.setTokens({ accessToken: 'access-2', refreshToken: 'refresh-2' });
        api.get('/after-sign-in').subscribe(watchOutcome('after-sign-in'));
      },
    });
    revoke();
    expect(outcomes).toEqual(['first revoked', 'from-handler revoked', 'second revoked']);
    expect(sent).toBe(3); // first, second, and the one after the sign-in, which is still out

    revoke();
    expect(outcomes).toEqual(['first revoked', 'from-handler revoked', 'second revoked', 'after-sign-in revoked']);
  });
});

describe('stopWhenSessionEnds', () => {
  it('fails each source in flight with TokenRevokedError, in the order they started, and watches only while they run', () => {
    const ended = new Subject<void>();
    const calls: string[] = [];
    const [a, b, c] = ['a', 'b', 'c'].map((name) => NEVER.pipe(stopWhenSessionEnds(ended)).subscribe({ error: (error: unknown) => calls.push(`${name} ${error instanceof TokenRevokedError}`) }));
    expect(ended.observed).toBe(true);
    b?.unsubscribe();
    ended.next();
    expect(calls).toEqual(['a true', 'c true']);
    expect([a?.closed, c?.closed]).toEqual([true, true]);
    expect(ended.observed).toBe(false);
    ended.next(); // nothing left to stop
    expect(calls).toEqual(['a true', 'c true']);
  });

  it('skips a source that a stop before it ended, and still stops the ones after it', () => {
    const ended = new Subject<void>();
    const calls: string[] = [];
    const subscriptions: { unsubscribe(): void }[] = [];
    for (const name of ['a', 'b', 'c']) {
      subscriptions.push(
        NEVER.pipe(stopWhenSessionEnds(ended)).subscribe({
          error() {
            calls.push(name);
            if (name === 'a') subscriptions[1]?.unsubscribe(); // e.g. the app unsubscribes a sibling request when the first one fails
          },
        }),
      );
    }
    ended.next();
    expect(calls).toEqual(['a', 'c']);
  });

  it('never subscribes the source when the session has ended already, and keeps no subscription', () => {
    let unsubscribed = 0;
    let subscribed = 0;
    const revoked$ = new Observable<void>((s) => {
      s.next();
      return () => unsubscribed++;
    });
    const source = new Observable<never>(() => void subscribed++);
    const errors: unknown[] = [];
    const subscription = source.pipe(stopWhenSessionEnds(revoked$)).subscribe({ error: (error: unknown) => errors.push(error) });
    expect(errors).toEqual([new TokenRevokedError()]);
    expect(subscribed).toBe(0);
    expect(unsubscribed).toBe(1);
    expect(subscription.closed).toBe(true);
  });

  it('fails with the error the session end carries (a machine session names the refused client)', () => {
    const ended = new Subject<TokenRevokedError | void>();
    const errors: unknown[] = [];
    NEVER.pipe(stopWhenSessionEnds(ended)).subscribe({ error: (error: unknown) => errors.push(error) });
    const machineEnd = new TokenRevokedError('The machine session ended: the token endpoint refused the client');
    ended.next(machineEnd);
    expect(errors).toEqual([machineEnd]);
    expect(errors[0]).toBe(machineEnd);
  });
});
