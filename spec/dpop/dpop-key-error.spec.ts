import { describe, expect, it } from 'vitest';
import { DpopKeyError } from '../../lib/dpop/dpop-key-error.js';

describe('DpopKeyError', () => {
  it('is an Error with its name, reason, message and cause', () => {
    const cause = new Error('QuotaExceededError');
    const error = new DpopKeyError('unavailable', 'the DPoP key "alice" in IndexedDB "db": IndexedDB failed', { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'DpopKeyError', reason: 'unavailable', cause });
    expect(error.message).toBe('the DPoP key "alice" in IndexedDB "db": IndexedDB failed');
    expect(String(error)).toBe('DpopKeyError: the DPoP key "alice" in IndexedDB "db": IndexedDB failed');
  });

  it('with reason `mismatch`, carries both thumbprints (public, no key material)', () => {
    const thumbprints = { key: 'k'.repeat(43), tokens: 't'.repeat(43) };
    const error = new DpopKeyError('mismatch', 'another key', { thumbprints });
    expect(error).toMatchObject({ name: 'DpopKeyError', reason: 'mismatch', thumbprints });
    expect(new DpopKeyError('lost', 'no key').thumbprints).toBeUndefined();
  });
});
