import { defer, EMPTY, map, merge, of, throwError, type Observable } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { authorize, isTokenRejection } from '../../lib/auth/authorize.js';
import { createHttpClient } from '../../lib/client/create-http-client.js';
import { HttpError } from '../../lib/errors/request-error.js';
import { TokenRevokedError } from '../../lib/errors/token-revoked-error.js';
import { createTokenSession } from '../../lib/session/create-token-session.js';
import type { CurrentToken, TokenAccess } from '../../lib/session/token-access.js';
import type { TokenSet } from '../../lib/session/token-set.js';
import { createTestTransport, type TestResponse } from '../../lib/testing/test-transport.js';
import { createTestScheduler } from '../helpers/marbles.js';

const t0: TokenSet = { accessToken: 'access-0', refreshToken: 'refresh-0' };
const t1: TokenSet = { accessToken: 'access-1', refreshToken: 'refresh-1' };
const unauthorized: TestResponse = { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } };

describe('authorize', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = createTestScheduler();
  });

  describe('when six requests get 401 at once (through the client, in virtual time)', () => {
    it('runs one refresh and replays all six with the new token', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const endpoint = cold('-----(t|)', { t: t1 });
        const session = createTokenSession({ tokens: t0, refresh: () => endpoint, scheduler: testScheduler });
        const test = createTestTransport();
        // The API answers in 10 ms: 401 for the old token, 200 for the new one.
        test.when(() => true, (request) =>
          cold('10ms (r|)', { r: request.headers.authorization === 'Bearer access-1' ? { body: request.url } : unauthorized }),
        );
        const api = createHttpClient({ baseUrl: 'https://api.test', transport: test.transport, session, scheduler: testScheduler, retry: false });

        const dashboard = merge(...[1, 2, 3, 4, 5, 6].map((i) => api.get<string>(`/w/${i}`).pipe(map(() => 'v'))));
        // 401s at 10, one refresh 10→15, retries answered at 25.
        expectObservable(dashboard).toBe('25ms (vvvvvv|)');
        expectSubscriptions(endpoint.subscriptions).toBe('10ms ^----!');
        testScheduler.flush();
        expect(test.requests.map((r) => r.request.headers.authorization)).toEqual([
          ...Array<string>(6).fill('Bearer access-0'),
          ...Array<string>(6).fill('Bearer access-1'),
        ]);
      });
    });
  });

  describe('when the retry with the fresh token is rejected too', () => {
    it('fails with that 401 and does not refresh again (no loop)', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const endpoint = cold('-(t|)', { t: t1 });
        const session = createTokenSession({ tokens: t0, refresh: () => endpoint, scheduler: testScheduler });
        let sends = 0;
        const send = (token: string | null): Observable<string> =>
          defer(() => {
            sends++;
            return cold('--#', undefined, new HttpError({ method: 'GET', url: `https://api.test/${token}`, status: 401 }));
          });
        expectObservable(authorize(session, send)).toBe('-----#', undefined, new HttpError({ method: 'GET', url: 'https://api.test/access-1', status: 401 }));
        expectSubscriptions(endpoint.subscriptions).toBe('--^!');
        testScheduler.flush();
        expect(sends).toBe(2);
      });
    });
  });

  describe('when the session has an access token but no refresh token', () => {
    it('fails with the 401 as it came, sending once and refreshing nothing', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        let refreshes = 0;
        const session = createTokenSession({
          tokens: { accessToken: 'only' },
          refresh: () => {
            refreshes++;
            return of(t1);
          },
          scheduler: testScheduler,
        });
        const rejected = new HttpError({ method: 'GET', url: 'https://api.test/', status: 401 });
        let sends = 0;
        const send = () => defer(() => (sends++, cold('-#', undefined, rejected)));
        expectObservable(authorize(session, send)).toBe('-#', undefined, rejected);
        testScheduler.flush();
        expect([sends, refreshes]).toEqual([1, 0]);
      });
    });
  });

  describe('when the error is not a token rejection', () => {
    it.each([
      ['403', new HttpError({ method: 'GET', url: 'https://api.test/', status: 403 })],
      ['insufficient_scope', new HttpError({ method: 'GET', url: 'https://api.test/', status: 401, headers: new Headers({ 'www-authenticate': 'Bearer error="insufficient_scope"' }) })],
      ['a network error', new Error('offline')],
    ])('passes %s through without refreshing', (_what, failure) => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const endpoint = cold('-(t|)', { t: t1 });
        const session = createTokenSession({ tokens: t0, refresh: () => endpoint, scheduler: testScheduler });
        expectObservable(authorize(session, () => cold('--#', undefined, failure))).toBe('--#', undefined, failure);
        expectSubscriptions(endpoint.subscriptions).toBe([]);
      });
    });
  });

  describe('when the session is revoked', () => {
    it('fails every waiter in the same frame and later calls at once, without sending', () => {
      testScheduler.run(({ cold, hot }) => {
        const revoked = new TokenRevokedError();
        const session = createTokenSession({ tokens: t0, refresh: () => cold<TokenSet>('---#', undefined, revoked), scheduler: testScheduler });
        let sends = 0;
        const send = () =>
          defer(() => {
            sends++;
            return cold('-#', undefined, new HttpError({ method: 'GET', url: 'https://api.test/', status: 401 }));
          });
        const callers = hot('a-b 10ms c');
        const outcomes: [number, string][] = [];
        callers.subscribe(() => authorize(session, send).subscribe({ error: (e: Error) => outcomes.push([testScheduler.now(), e.name]) }));
        testScheduler.flush();
        // Both early callers got 401 at 1 and 3 and waited on the refresh that failed at 4; the late one never sent.
        expect(outcomes).toEqual([
          [4, 'TokenRevokedError'],
          [4, 'TokenRevokedError'],
          [13, 'TokenRevokedError'],
        ]);
        expect(sends).toBe(2);
      });
    });
  });

  describe('when the caller unsubscribes while waiting for the refresh', () => {
    it('stops waiting but lets the refresh finish', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const endpoint = cold('-----(t|)', { t: t1 });
        const session = createTokenSession({ tokens: t0, refresh: () => endpoint, scheduler: testScheduler });
        const send = (token: string | null) =>
          token === 'access-0' ? cold('-#', undefined, new HttpError({ method: 'GET', url: 'https://api.test/', status: 401 })) : of('ok');
        expectObservable(authorize(session, send), '^--!').toBe('');
        expectSubscriptions(endpoint.subscriptions).toBe('-^----!');
        testScheduler.flush();
        expect(session.state.tokens).toEqual(t1);
      });
    });
  });

  describe('when `send` throws instead of returning an observable', () => {
    it('delivers the throw as the error, before and after a refresh', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const session = createTokenSession({ tokens: t0, refresh: () => cold('-(t|)', { t: t1 }), scheduler: testScheduler });
        const boom = new TypeError('cannot build the header');
        expectObservable(authorize(session, () => { throw boom; })).toBe('#', undefined, boom);
        const rejected = new HttpError({ method: 'GET', url: 'https://api.test/', status: 401 });
        const secondThrows = (token: string | null): Observable<string> => {
          if (token === 'access-1') throw boom;
          return cold('--#', undefined, rejected);
        };
        expectObservable(authorize(session, secondThrows)).toBe('---#', undefined, boom);
      });
    });
  });

  describe('when the caller unsubscribes while the request is out', () => {
    it('unsubscribes from the send, and from the refresh wait without cancelling the refresh', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const endpoint = cold('----(t|)', { t: t1 });
        const session = createTokenSession({ tokens: t0, refresh: () => endpoint, scheduler: testScheduler });
        const first = cold('--#', undefined, new HttpError({ method: 'GET', url: 'https://api.test/', status: 401 }));
        const slow = cold('-----(v|)', { v: 'late' });
        expectObservable(authorize(session, () => slow), '^-!').toBe('---');
        expectSubscriptions(slow.subscriptions).toBe('^-!');
        expectObservable(authorize(session, () => first), '^--!').toBe('---');
        // The refresh started at 2 runs on to its end although its only waiter left at 3.
        expectSubscriptions(endpoint.subscriptions).toBe('--^---!');
      });
    });
  });

  describe('with a TokenAccess of your own that has no tokenNow()', () => {
    it('waits for token() and refreshes once on a rejection, like a session', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const session = createTokenSession({ tokens: t0, refresh: () => cold('-(t|)', { t: t1 }), scheduler: testScheduler });
        const access = {
          token: (rejected?: number) => session.token(rejected),
          report: () => undefined,
          revoked$: session.revoked$,
        };
        const rejected = new HttpError({ method: 'GET', url: 'https://api.test/', status: 401 });
        const send = (token: string | null): Observable<string> => (token === 'access-1' ? cold('--(v|)', { v: 'ok' }) : cold('--#', undefined, rejected));
        expectObservable(authorize(access, send)).toBe('-----(v|)', { v: 'ok' });
      });
    });
  });
});

// Rule 18 for `authorize` on its own, over any TokenAccess: the retry after a 401 is not
// sent with a token of another sign-in than the first send's.
const rejected = new HttpError({ method: 'GET', url: 'https://api.test/x', status: 401, statusText: 'Unauthorized', headers: new Headers() });

function pinnedAccess(first: CurrentToken, afterRejection: CurrentToken): TokenAccess {
  return {
    token: (rejected) => of(rejected === undefined ? first : afterRejection),
    report: () => undefined,
    revoked$: EMPTY,
  };
}

describe('authorize keeps the sign-in of its first send (rule 18)', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = createTestScheduler();
  });

  function run(first: CurrentToken, afterRejection: CurrentToken, expected: string, values: Record<string, unknown>, error?: unknown): (string | null)[] {
    const sent: (string | null)[] = [];
    const send = (token: string | null): Observable<string> => {
      sent.push(token);
      return sent.length === 1 ? throwError(() => rejected) : of(`ok with ${token}`);
    };
    testScheduler.run(({ expectObservable }) => {
      expectObservable(authorize(pinnedAccess(first, afterRejection), send)).toBe(expected, values, error);
    });
    return sent;
  }

  it('fails with TokenRefreshError sign-in-changed instead of sending another sign-in\'s token', () => {
    const sent = run(
      { accessToken: 'alice-a1', generation: 0, signIn: 'alice' },
      { accessToken: 'bob-a1', generation: 1, signIn: 'bob' },
      '#',
      {},
      expect.objectContaining({
        name: 'TokenRefreshError',
        reason: 'sign-in-changed',
        transient: false,
        message: 'The request was not sent again: the user signed in or out while it waited',
      }),
    );
    expect(sent).toEqual(['alice-a1']);
  });

  it('fails the same way when the session was signed out meanwhile', () => {
    const sent = run({ accessToken: 'alice-a1', generation: 0, signIn: 'alice' }, { accessToken: null, generation: 1, signIn: 'signed-out' }, '#', {}, expect.objectContaining({ reason: 'sign-in-changed' }));
    expect(sent).toEqual(['alice-a1']);
  });

  it('sends the refreshed token of the same sign-in', () => {
    const sent = run({ accessToken: 'alice-a1', generation: 0, signIn: 'alice' }, { accessToken: 'alice-a2', generation: 1, signIn: 'alice' }, '(v|)', { v: 'ok with alice-a2' });
    expect(sent).toEqual(['alice-a1', 'alice-a2']);
  });

  it('never refuses a sign-in it does not know (a state stored by an older version)', () => {
    expect(run({ accessToken: 'a1', generation: 0 }, { accessToken: 'a2', generation: 1, signIn: 'x' }, '(v|)', { v: 'ok with a2' })).toEqual(['a1', 'a2']);
    expect(run({ accessToken: 'a1', generation: 0, signIn: 'x' }, { accessToken: 'a2', generation: 1 }, '(v|)', { v: 'ok with a2' })).toEqual(['a1', 'a2']);
  });

  it('lets the 401 stand when there is nothing to refresh with in the same sign-in', () => {
    const sent = run({ accessToken: 'a1', generation: 0, signIn: 'alice' }, { accessToken: null, generation: 0 }, '#', {}, rejected);
    expect(sent).toEqual(['a1']);
  });
});

describe('authorize passes the token type on (issue 23)', () => {
  it("gives send the token's tokenType, on the first send and on the retry after a rejection", async () => {
    const sent: [string | null, string | undefined][] = [];
    const send = (token: string | null, tokenType?: 'DPoP'): Observable<string> => {
      sent.push([token, tokenType]);
      return sent.length === 1 ? throwError(() => rejected) : of('ok');
    };
    const access = pinnedAccess({ accessToken: 'a1', generation: 0, tokenType: 'DPoP' }, { accessToken: 'b1', generation: 1 });
    await new Promise<void>((resolve, reject) => authorize(access, send).subscribe({ complete: resolve, error: reject }));
    expect(sent).toEqual([
      ['a1', 'DPoP'],
      ['b1', undefined],
    ]);
  });
});

const error = (status: number, challenge?: string) =>
  new HttpError({ method: 'GET', url: 'https://api.test/x', status, headers: new Headers(challenge ? { 'WWW-Authenticate': challenge } : {}) });

describe('isTokenRejection', () => {
  it.each([
    ['a bare 401', error(401), true],
    ['invalid_token', error(401, 'Bearer error="invalid_token", error_description="expired"'), true],
    ['a challenge with no error', error(401, 'Bearer realm="api"'), true],
    ['an unquoted invalid_token', error(401, 'Bearer realm="api", error=invalid_token'), true],
    ['insufficient_scope', error(401, 'Bearer error="insufficient_scope", scope="admin"'), false],
    ['a DPoP nonce challenge', error(401, 'DPoP error="use_dpop_nonce", error_description="nonce required"'), false],
    ['a refused DPoP proof (issue 23)', error(401, 'DPoP error="invalid_dpop_proof", error_description="iat is not recent enough"'), false],
    ['a refused DPoP proof after a Bearer challenge', error(401, 'Bearer realm="api", DPoP algs="ES256", error="invalid_dpop_proof"'), false],
    ['a refused DPoP proof beside a Bearer invalid_token', error(401, 'Bearer error="invalid_token", DPoP error="invalid_dpop_proof"'), false],
    ['a DPoP nonce challenge beside a Bearer invalid_token', error(401, 'Bearer error="invalid_token", DPoP error="use_dpop_nonce"'), false],
    ['invalid_token in two challenges', error(401, 'Bearer error="invalid_token", DPoP error="invalid_token", algs="ES256"'), true],
    ['an error_description alone that mentions another error', error(401, 'Bearer error_description="error=x"'), true],
    ['a 403', error(403), false],
    ['a 500', error(500), false],
    ['a plain Error', new Error('401'), false],
  ])('%s → %s', (_what, value, expected) => {
    expect(isTokenRejection(value)).toBe(expected);
  });
});
