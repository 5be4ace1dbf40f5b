// lib/tabs/tab-message.ts: what a tab accepts from a message or its storage.
import { describe, expect, it } from 'vitest';
import { tabStateOf } from '../../lib/tabs/tab-message.js';

describe('tabStateOf', () => {
  it('accepts a state and refuses what a stray message or a damaged storage entry could hold', () => {
    expect(tabStateOf({ tokens: null, generation: 3, revoked: true, receivedAt: 1, change: 'revoked' })).toEqual({ tokens: null, generation: 3, revoked: true, receivedAt: 1, change: 'revoked' });
    expect(tabStateOf({ tokens: { accessToken: 'a' }, generation: 1, revoked: false, receivedAt: 1, change: 'refresh' })).toEqual({ tokens: { accessToken: 'a' }, generation: 1, revoked: false, receivedAt: 1, change: 'refresh' });
    for (const value of [
      null,
      'x',
      { generation: 0, revoked: false, receivedAt: 1, change: 'refresh', tokens: null },
      { generation: 1.5, revoked: false, receivedAt: 1, change: 'refresh', tokens: null },
      { generation: 1, revoked: 'no', receivedAt: 1, change: 'refresh', tokens: null },
      { generation: 1, revoked: false, receivedAt: 1, change: 'refresh' },
      { generation: 1, revoked: false, receivedAt: 1, change: 'x', tokens: null },
      // The same checks as a token response: a token that is not a string is no token.
      { generation: 1, revoked: false, receivedAt: 1, change: 'refresh', tokens: { accessToken: 42 } },
    ]) {
      expect(tabStateOf(value)).toBeUndefined();
    }
  });
});
