import { describe, expect, it } from 'vitest';
import { HttpError } from '../../lib/errors/request-error.js';
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

describe('retryAfterDelay: RFC 9110 §10.2.3 only (issue 8 #7)', () => {
  const now = Date.parse('Sun, 22 Nov 2026 10:00:00 GMT');

  it.each(['1.5', '-1', '+5', '1 2', '', ' ', '5s', '0x10', '1e3', 'Sun, 22 Nov 2026', '2026-11-22T10:00:05Z', 'Sun, 31 Feb 2026 10:00:05 GMT', 'Sun, 22 Nov 2026 24:00:00 GMT'])(
    'ignores %j: the computed backoff applies',
    (value) => {
      expect(retryAfterDelay(withHeader(value), now)).toBeUndefined();
    },
  );

  it('reads the three HTTP-date forms RFC 9110 §5.6.7 makes recipients accept', () => {
    expect(retryAfterDelay(withHeader('Sun, 22 Nov 2026 10:00:05 GMT'), now)).toBe(5_000);
    expect(retryAfterDelay(withHeader('Sunday, 22-Nov-26 10:00:07 GMT'), now)).toBe(7_000);
    expect(retryAfterDelay(withHeader('Sun Nov 22 10:00:09 2026'), now)).toBe(9_000);
    expect(retryAfterDelay(withHeader('Sun Nov  1 10:00:00 2026'), Date.parse('Sun, 01 Nov 2026 09:59:59 GMT'))).toBe(1_000);
  });

  it('reads 0 and large integers of seconds', () => {
    expect(retryAfterDelay(withHeader('0'), now)).toBe(0);
    expect(retryAfterDelay(withHeader('120'), now)).toBe(120_000);
  });
});
