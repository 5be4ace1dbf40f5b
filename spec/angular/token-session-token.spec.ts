// @vitest-environment happy-dom
// lib/angular/token-session-token.ts: the session the interceptor authorizes with, for the app to
// sign in, sign out and watch.
import './setup.js';
import { HttpClient } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { describe, expect, it } from 'vitest';
import { TOKEN_SESSION } from '../../lib/angular/index.js';
import type { TokenSet } from '../../lib/session/token-set.js';
import { API, bearer, record, setup, UNAUTHORIZED, verifyAndResetAfterEach } from './angular-fixtures.js';

/** The sign-in page of TOKEN_SESSION's example. */
@Injectable({ providedIn: 'root' })
class SignInPage {
  private readonly session = inject(TOKEN_SESSION);
  signedIn(tokens: TokenSet) {
    this.session.setTokens(tokens);
  }
}

describe('TOKEN_SESSION', () => {
  verifyAndResetAfterEach();

  it('is the session the interceptor authorizes with: tokens set on it are the ones sent next', () => {
    const { httpTesting, refresh } = setup();
    const seen: (string | undefined)[] = [];
    TestBed.inject(TOKEN_SESSION).tokens$.subscribe((tokens) => seen.push(tokens?.accessToken));

    TestBed.inject(SignInPage).signedIn({ accessToken: 'bob-a1', refreshToken: 'bob-r1' });
    const orders = record(TestBed.inject(HttpClient).get(`${API}/orders`));
    const req = httpTesting.expectOne(`${API}/orders`);
    req.flush(['o1']);

    expect(req.request.headers.get('Authorization')).toBe(bearer('bob-a1'));
    expect(orders.values).toEqual([['o1']]);
    expect(seen.at(-1)).toBe('bob-a1');
    expect(refresh).not.toHaveBeenCalled();
  });

  it('is the one session every injection gets: a refresh after a 401 shows in its tokens', () => {
    const { httpTesting, answerRefresh } = setup();

    record(TestBed.inject(HttpClient).get(`${API}/orders`));
    httpTesting.expectOne(`${API}/orders`).flush(null, UNAUTHORIZED);
    answerRefresh({ accessToken: 'a1', refreshToken: 'r1' });
    httpTesting.expectOne(`${API}/orders`).flush([]);

    expect(TestBed.inject(TOKEN_SESSION)).toBe(TestBed.inject(TOKEN_SESSION));
    expect(TestBed.inject(TOKEN_SESSION).state.tokens?.accessToken).toBe('a1');
  });
});
