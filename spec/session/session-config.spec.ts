import { of } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createTokenSession, type TokenSessionConfig } from '../../lib/session/create-token-session.js';
import type { TokenSet } from '../../lib/session/token-set.js';
import { t1 } from './session-fixtures.js';

// Issue 21, item 7: the session's refresh backoff takes retryBackoff's options and is checked
// by the same check, at creation.
const refresh = () => of({ accessToken: 'a2' });
const session = (config: Partial<Record<keyof TokenSessionConfig, unknown>>) => () => createTokenSession({ refresh, ...config } as TokenSessionConfig).dispose();

describe('createTokenSession', () => {
  describe('when `refreshRetry` is not a backoff config', () => {
    it('throws at once, naming the field: a RangeError for a count that is not whole or a negative delay', () => {
      expect(session({ refreshRetry: { maxRetries: 1.5 } })).toThrow(
        new RangeError('createTokenSession: `refreshRetry`: `maxRetries` must be a whole number of retries >= 0 (or Infinity); got 1.5'),
      );
      expect(session({ refreshRetry: { baseDelay: -1 } })).toThrow(RangeError);
    });

    it('throws a TypeError for a wrong type, an unknown option, or one the session sets itself', () => {
      expect(session({ refreshRetry: 3 })).toThrow(new TypeError('createTokenSession: `refreshRetry` must be a config object; got number'));
      expect(session({ refreshRetry: { random: 0.5 } })).toThrow(/`refreshRetry`: `random` must be a function; got number/);
      expect(session({ refreshRetry: { shouldRetry: () => true } })).toThrow(/`refreshRetry` has no option `shouldRetry`/);
      expect(session({ refreshRetry: { retries: 3 } })).toThrow(TypeError);
    });

    it('accepts a full one', () => {
      expect(session({ refreshRetry: { maxRetries: 5, baseDelay: 100, maxDelay: 1000, jitter: false, random: () => 0.5, retryAfter: false, onRetry: () => undefined } })).not.toThrow();
    });
  });

  describe('when a duration is not one', () => {
    it('throws a TypeError naming it, the range and what it got', () => {
      expect(session({ skew: '30s' })).toThrow(new TypeError('createTokenSession: `skew` must be a number of ms from 0 to 2147483647; got string'));
      expect(session({ storeTimeout: -1 })).toThrow(/`storeTimeout` must be a number of ms from 0 to 2147483647; got -1/);
    });
  });
});

describe('createTokenSession', () => {
  describe('config validation', () => {
    it('throws a TypeError for a missing refresh function or a negative skew', () => {
      expect(() => createTokenSession({} as TokenSessionConfig)).toThrow(TypeError);
      expect(() => createTokenSession({ refresh: () => of(t1), skew: -1 })).toThrow(/skew/);
      expect(() => createTokenSession({ refresh: () => of(t1), tokens: { accessToken: 3 } as unknown as TokenSet })).toThrow(TypeError);
    });
  });
});
