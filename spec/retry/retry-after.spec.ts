import { describe, expect, it } from 'vitest';
import { HttpError } from '../../lib/errors/http-error.js';
import { retryAfterDelay } from '../../lib/retry/retry-after.js';

const withHeader = (value: string): HttpError =>
  new HttpError({ method: 'GET', url: 'https://a.test/', status: 503, headers: new Headers({ 'Retry-After': value }) });

describe('retryAfterDelay', () => {
  it('reads delta-seconds', () => {
    expect(retryAfterDelay(withHeader('3'), 0)).toBe(3_000);
  });

  it('reads an HTTP date relative to now', () => {
    const now = Date.parse('Sun, 22 Nov 2026 10:00:00 GMT');
    expect(retryAfterDelay(withHeader('Sun, 22 Nov 2026 10:00:05 GMT'), now)).toBe(5_000);
  });

  it('gives 0 for a date in the past', () => {
    expect(retryAfterDelay(withHeader('Sun, 22 Nov 2020 10:00:05 GMT'), Date.now())).toBe(0);
  });

  it('ignores garbage, a missing header and other errors', () => {
    expect(retryAfterDelay(withHeader('soon'), 0)).toBeUndefined();
    expect(retryAfterDelay(new HttpError({ method: 'GET', url: 'https://a.test/', status: 503 }), 0)).toBeUndefined();
    expect(retryAfterDelay(new Error('x'), 0)).toBeUndefined();
  });
});
