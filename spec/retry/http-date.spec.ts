import { describe, expect, it } from 'vitest';
import { parseHttpDate } from '../../lib/retry/http-date.js';

const now = Date.parse('2026-11-22T10:00:00Z');
const at = (iso: string) => Date.parse(iso);

describe('parseHttpDate', () => {
  it('reads the three forms of RFC 9110 §5.6.7', () => {
    expect(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT', now)).toBe(at('1994-11-06T08:49:37Z'));
    expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT', now)).toBe(at('1994-11-06T08:49:37Z'));
    expect(parseHttpDate('Sun Nov  6 08:49:37 1994', now)).toBe(at('1994-11-06T08:49:37Z'));
    expect(parseHttpDate('Sun Nov 16 08:49:37 1994', now)).toBe(at('1994-11-16T08:49:37Z'));
  });

  it('reads RFC 850 dates with each full day name, and no other name', () => {
    for (const day of ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday']) {
      expect(parseHttpDate(`${day}, 06-Nov-94 08:49:37 GMT`, now)).toBe(at('1994-11-06T08:49:37Z'));
    }
    for (const day of ['Sun', 'Tueday', 'Wedday', 'Thuday', 'Satday', 'Funday']) expect(parseHttpDate(`${day}, 06-Nov-94 08:49:37 GMT`, now)).toBeUndefined();
  });

  it('reads a two-digit year more than 50 years ahead as the most recent past year with those digits', () => {
    expect(parseHttpDate('Monday, 06-Nov-76 08:49:37 GMT', now)).toBe(at('2076-11-06T08:49:37Z'));
    expect(parseHttpDate('Saturday, 06-Nov-77 08:49:37 GMT', now)).toBe(at('1977-11-06T08:49:37Z'));
  });

  it('reads a leap second as the next second', () => {
    expect(parseHttpDate('Wed, 31 Dec 2025 23:59:60 GMT', now)).toBe(at('2026-01-01T00:00:00Z'));
  });

  it.each([
    '',
    '1.5',
    '-1',
    '2026-11-22T10:00:05Z',
    'Sun, 22 Nov 2026',
    'Sun, 22 Nov 2026 10:00:05 UTC',
    'sun, 22 nov 2026 10:00:05 GMT',
    'Sun, 22 Nov 26 10:00:05 GMT',
    'Sun,  22 Nov 2026 10:00:05 GMT',
    'Sun, 31 Feb 2026 10:00:05 GMT',
    'Sun, 22 Nov 2026 24:00:00 GMT',
    'Sun, 22 Nov 2026 10:60:00 GMT',
    'Sun, 22 Nov 2026 10:00:61 GMT',
    'Sun, 22 Foo 2026 10:00:05 GMT',
    'Sun, 22-Nov-26 10:00:05 GMT',
    'Sun Nov 22 10:00:05 2026 GMT',
  ])('is undefined for %j, which is no HTTP-date', (value) => {
    expect(parseHttpDate(value, now)).toBeUndefined();
  });
});
