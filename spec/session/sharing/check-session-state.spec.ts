import { describe, expect, it } from 'vitest';
import { checkSessionState } from '../../../lib/session/sharing/check-session-state.js';

const NOW = Date.UTC(2026, 11, 7);
const valid = { tokens: { accessToken: 'ada-a1', refreshToken: 'ada-r1', expiresAt: NOW + 60_000 }, generation: 4, revoked: false, receivedAt: NOW, change: 'refresh' };

describe('checkSessionState', () => {
  it('answers a copy holding only the fields a session knows, the sign-in it belongs to included', () => {
    const checked = checkSessionState({ ...valid, note: 'x', __proto__: { revoked: true }, tokens: { ...valid.tokens, scope: 'all' } }, NOW);
    expect(checked).toEqual(valid);
    expect(Object.keys(checked as object)).toEqual(['tokens', 'generation', 'revoked', 'receivedAt', 'change']);
    expect(checkSessionState({ ...valid, signIn: 's-1' }, NOW)).toEqual({ ...valid, signIn: 's-1' });
    expect(checkSessionState({ ...valid, tokens: null, revoked: true, change: 'revoked', generation: 0 }, NOW)).toMatchObject({ tokens: null, generation: 0 });
  });

  it.each([
    [{ ...valid, generation: 2 ** 53 }, 'generation must be a whole number from 0 to 2^53 - 1, got 9007199254740992'],
    [{ ...valid, generation: 1.5 }, 'generation must be a whole number from 0 to 2^53 - 1, got 1.5'],
    [{ ...valid, receivedAt: NaN }, 'receivedAt must be a finite number of epoch ms, got NaN'],
    [{ ...valid, receivedAt: '1' }, 'receivedAt must be a finite number of epoch ms, got a string'],
    [{ ...valid, change: 'ada-r1' }, 'change must be one of sign-in, sign-out, refresh, revoked, got a string'],
    [{ ...valid, signIn: '' }, 'signIn must be a non-empty string when present, got an empty string'],
    [{ ...valid, signIn: 7 }, 'signIn must be a non-empty string when present, got 7'],
    [{ ...valid, tokens: undefined }, 'tokens: a token set must be an object, got undefined'],
    [{ ...valid, tokens: {} }, 'tokens: a token set needs an accessToken or a refreshToken'],
    [{ ...valid, tokens: { ...valid.tokens, refreshToken: 'ada-r1\r\n' } }, 'tokens: refreshToken contains characters a token may not have (control characters, spaces or non-ASCII)'],
    [{ ...valid, tokens: { ...valid.tokens, expiresAt: NOW / 1000 } }, `tokens: expiresAt must be epoch milliseconds, got ${NOW / 1000}, which can only be seconds: multiply it by 1000`],
    [[valid], 'a session state must be an object, got an array'],
    [undefined, 'a session state must be an object, got undefined'],
  ])('names what is wrong with %j, never quoting a token', (value, problem) => {
    expect(checkSessionState(value, NOW)).toBe(problem);
  });
});

// Rule 15: the thumbprint of the key DPoP-bound tokens are bound to travels with the shared state,
// and is checked there as every field is, never quoting what it got (a token may sit in a wrong field).
describe('checkSessionState: keyThumbprint (issue 23, rule 15)', () => {
  const thumbprint = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';
  const dpop = { ...valid, tokens: { ...valid.tokens, tokenType: 'DPoP', keyThumbprint: thumbprint } };

  it('carries the tokens thumbprint beside tokenType DPoP', () => {
    expect(checkSessionState(dpop, NOW)).toEqual(dpop);
  });

  it.each([
    ['a token in its place', { ...dpop.tokens, keyThumbprint: 'ada-a1' }],
    ['one without tokenType DPoP', { ...valid.tokens, keyThumbprint: thumbprint }],
    ['a number', { ...dpop.tokens, keyThumbprint: 7 }],
  ])('refuses %s, naming the field', (_what, tokens) => {
    const problem = checkSessionState({ ...valid, tokens }, NOW);
    expect(problem).toBe('tokens: keyThumbprint must be a JWK thumbprint, with tokenType DPoP');
    expect(problem).not.toContain('ada');
  });
});
