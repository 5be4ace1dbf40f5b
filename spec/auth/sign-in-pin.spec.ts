import { EMPTY, of, throwError, type Observable } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { authorize } from '../../lib/auth/authorize.js';
import { HttpError } from '../../lib/errors/http-error.js';
import type { CurrentToken, TokenAccess } from '../../lib/session/token-access.js';
import { createTestScheduler } from '../helpers/marbles.js';

// DESIGN rule 18 for `authorize` on its own, over any TokenAccess: the retry after a 401 is not
// sent with a token of another sign-in than the first send's.
const rejected = new HttpError({ method: 'GET', url: 'https://api.test/x', status: 401, statusText: 'Unauthorized', headers: new Headers() });

function access(first: CurrentToken, afterRejection: CurrentToken): TokenAccess {
  return {
    currentToken: () => of(first),
    tokenAfterRejection: () => of(afterRejection),
    report: () => undefined,
    revoked$: EMPTY,
  };
}

describe('authorize keeps the sign-in of its first send (DESIGN rule 18)', () => {
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
      expectObservable(authorize(access(first, afterRejection), send)).toBe(expected, values, error);
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
