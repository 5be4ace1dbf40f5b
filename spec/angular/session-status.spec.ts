// @vitest-environment happy-dom
import './setup.js';
import { Component, provideZonelessChangeDetection } from '@angular/core';
import { TestBed, type ComponentFixture } from '@angular/core/testing';
import { firstValueFrom, Subject, type Observable } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { injectSessionStatus, provideTokenRefresh, TOKEN_SESSION } from '../../lib/angular/index.js';
import { TokenRevokedError } from '../../lib/errors/token-revoked-error.js';
import type { TokenSet } from '../../lib/session/token-set.js';

@Component({ selector: 'app-status', standalone: true, template: '<span>{{ status() }}</span>' })
class StatusBadge {
  readonly status = injectSessionStatus();
}

describe('injectSessionStatus', () => {
  let answers: Subject<TokenSet>;
  let fixture: ComponentFixture<StatusBadge>;
  const shown = async (): Promise<string> => {
    await fixture.whenStable(); // zoneless: the signal's change schedules the render
    return (fixture.nativeElement as HTMLElement).textContent ?? '';
  };

  beforeEach(() => {
    answers = new Subject<TokenSet>();
    TestBed.configureTestingModule({
      providers: [
        provideZonelessChangeDetection(),
        provideTokenRefresh({
          allowedOrigins: ['https://api.example.test'],
          sessionConfig: { tokens: { accessToken: 'a0', refreshToken: 'r0' }, refresh: (): Observable<TokenSet> => answers },
        }),
      ],
    });
    fixture = TestBed.createComponent(StatusBadge);
  });
  afterEach(() => TestBed.resetTestingModule());

  it('shows signed-in, refreshing while the refresh runs, then signed-in again, in a zoneless template', async () => {
    expect(await shown()).toBe('signed-in');

    const refreshed = firstValueFrom(TestBed.inject(TOKEN_SESSION).refresh$);
    expect(await shown()).toBe('refreshing');

    answers.next({ accessToken: 'a1', refreshToken: 'r1' });
    answers.complete();
    await refreshed;
    expect(await shown()).toBe('signed-in');
  });

  it('shows revoked when the token endpoint ends the session, and signed-in after the next sign-in', async () => {
    const session = TestBed.inject(TOKEN_SESSION);
    const refreshed = firstValueFrom(session.refresh$).catch((error: unknown) => error);
    answers.error(new TokenRevokedError());
    expect(await refreshed).toBeInstanceOf(TokenRevokedError);
    expect(await shown()).toBe('revoked');

    session.setTokens({ accessToken: 'a2', refreshToken: 'r2' });
    expect(await shown()).toBe('signed-in');
  });

  it('shows signed-out after a sign-out, even one in the middle of a refresh', async () => {
    const session = TestBed.inject(TOKEN_SESSION);
    const refreshed = firstValueFrom(session.refresh$).catch((error: unknown) => error);
    expect(await shown()).toBe('refreshing');

    session.signOut();
    await refreshed;
    expect(await shown()).toBe('signed-out');
  });
});
