// @vitest-environment happy-dom
import './setup.js';
import { createEnvironmentInjector, EnvironmentInjector, ErrorHandler, Injectable, inject, provideZonelessChangeDetection } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { firstValueFrom, throwError } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { provideTokenRefresh, TOKEN_SESSION, type TokenRefreshConfig } from '../../lib/angular/index.js';
import { TokenRefreshError } from '../../lib/errors/token-refresh-error.js';
import { TokenRevokedError } from '../../lib/errors/token-revoked-error.js';
import { createTokenSession, type TokenSessionConfig } from '../../lib/session/create-token-session.js';

const API = 'https://api.example.test';

const revokingConfig = (): TokenSessionConfig => ({
  tokens: { accessToken: 'a0', refreshToken: 'r0' },
  refresh: () => throwError(() => new TokenRevokedError()),
});

@Injectable({ providedIn: 'root' })
class Navigation {
  readonly visited: string[] = [];
}

function childInjector(config: TokenRefreshConfig): EnvironmentInjector {
  return createEnvironmentInjector([provideTokenRefresh(config)], TestBed.inject(EnvironmentInjector));
}

async function revoke(injector: EnvironmentInjector): Promise<void> {
  await firstValueFrom(injector.get(TOKEN_SESSION).refresh$).catch(() => undefined);
}

describe('provideTokenRefresh', () => {
  beforeEach(() => TestBed.configureTestingModule({ providers: [provideZonelessChangeDetection()] }));
  afterEach(() => TestBed.resetTestingModule());

  describe('when the config is unusable', () => {
    it.each([
      ['neither session nor sessionConfig', { allowedOrigins: [API] }],
      ['both session and sessionConfig', { allowedOrigins: [API], session: createTokenSession(revokingConfig()), sessionConfig: revokingConfig() }],
      ['no allowed origins', { allowedOrigins: [], sessionConfig: revokingConfig() }],
      ['a relative allowed origin', { allowedOrigins: ['/api'], sessionConfig: revokingConfig() }],
      ['a non-http allowed origin', { allowedOrigins: ['ftp://files.example.test'], sessionConfig: revokingConfig() }],
    ])('throws a TypeError at once for %s', (_, config) => {
      expect(() => provideTokenRefresh(config as TokenRefreshConfig)).toThrow(TypeError);
    });

    it('throws a TypeError naming `timeout` for a timeout no timer honours', () => {
      const config = { allowedOrigins: [API], sessionConfig: revokingConfig() };
      const message = (got: string) => new TypeError(`provideTokenRefresh: \`timeout\` must be a number of ms from 1 to 2147483647, or false; got ${got}`);
      expect(() => provideTokenRefresh({ ...config, timeout: 0 })).toThrow(message('0'));
      expect(() => provideTokenRefresh({ ...config, timeout: 2 ** 31 })).toThrow(message('2147483648'));
    });
  });

  describe('when it creates the session from sessionConfig', () => {
    it('disposes it when the environment injector is destroyed', async () => {
      const injector = childInjector({ allowedOrigins: [API], sessionConfig: revokingConfig() });
      const session = injector.get(TOKEN_SESSION);

      injector.destroy();

      await expect(firstValueFrom(session.token())).rejects.toThrow(TokenRefreshError);
      await expect(firstValueFrom(session.token())).rejects.toThrow(/disposed/);
    });
  });

  describe('when it is given a session', () => {
    it('provides that session and leaves it running after the injector is destroyed', async () => {
      const session = createTokenSession({ tokens: { accessToken: 'a0' }, refresh: () => throwError(() => new Error('unused')) });
      const injector = childInjector({ allowedOrigins: [API], session });

      expect(injector.get(TOKEN_SESSION)).toBe(session);
      injector.destroy();

      expect(await firstValueFrom(session.token())).toEqual({ accessToken: 'a0', generation: 0, signIn: session.state.signIn });
      session.dispose();
    });

    it('hears a revocation that happens before anything injects the session', async () => {
      const session = createTokenSession(revokingConfig());
      const onRevoked = vi.fn();
      const injector = childInjector({ allowedOrigins: [API], session, onRevoked });

      await firstValueFrom(session.refresh$).catch(() => undefined);

      expect(onRevoked).toHaveBeenCalledOnce();
      injector.destroy();
      session.dispose();
    });
  });

  describe('when the session is revoked', () => {
    it('runs onRevoked once, in the injection context of the environment injector', async () => {
      const injector = childInjector({
        allowedOrigins: [API],
        sessionConfig: revokingConfig(),
        onRevoked: (event) => inject(Navigation).visited.push(`/sign-in (generation ${event.generation})`),
      });

      await revoke(injector);
      await revoke(injector);

      expect(TestBed.inject(Navigation).visited).toEqual(['/sign-in (generation 1)']);
      injector.destroy();
    });

    it("hands an error thrown by onRevoked to Angular's ErrorHandler", async () => {
      const handleError = vi.spyOn(TestBed.inject(ErrorHandler), 'handleError').mockImplementation(() => undefined);
      const failure = new Error('navigation failed');
      const injector = childInjector({
        allowedOrigins: [API],
        sessionConfig: revokingConfig(),
        onRevoked: () => {
          throw failure;
        },
      });

      await revoke(injector);

      expect(handleError).toHaveBeenCalledWith(failure);
      injector.destroy();
    });

    it('stops listening once the injector is destroyed', async () => {
      const handleError = vi.spyOn(TestBed.inject(ErrorHandler), 'handleError').mockImplementation(() => undefined);
      const session = createTokenSession(revokingConfig());
      const onRevoked = vi.fn();
      childInjector({ allowedOrigins: [API], session, onRevoked }).destroy();

      await firstValueFrom(session.refresh$).catch(() => undefined);

      expect(onRevoked).not.toHaveBeenCalled();
      expect(handleError).not.toHaveBeenCalled();
      session.dispose();
    });
  });
});
