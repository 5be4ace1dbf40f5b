import { describe, expect, it } from 'vitest';
import { checkHeaders, isHeaderName, isHeaderValue } from '../../lib/util/header-syntax.js';

const SECRET = 'Bearer s3cret-value';

describe('isHeaderName', () => {
  it('accepts RFC 9110 tokens and nothing else', () => {
    for (const name of ['accept', 'X-Request-Id', "a!#$%&'*+-.^_`|~9"]) expect(isHeaderName(name)).toBe(true);
    for (const name of ['', 'bad name', 'x:y', 'x\r\n', 'é', '(x)']) expect(isHeaderName(name)).toBe(false);
  });
});

describe('isHeaderValue', () => {
  it('accepts visible characters, spaces, tabs and obs-text, and refuses control characters', () => {
    for (const value of ['', 'a b\tc', '~!"', '\x80\xff']) expect(isHeaderValue(value)).toBe(true);
    for (const value of ['a\r\nb', 'a\nb', 'a\0', '\x07', '\x7f', 'ā']) expect(isHeaderValue(value)).toBe(false);
  });
});

describe('checkHeaders', () => {
  it('accepts headers HTTP allows', () => {
    expect(() => checkHeaders({ accept: 'application/json', 'x-empty': '' })).not.toThrow();
  });

  it('throws a TypeError for a bad name, showing it with its control characters replaced', () => {
    expect(() => checkHeaders({ 'bad\r\nname': 'v' })).toThrow(new TypeError('Invalid header name "bad??name": only RFC 9110 token characters are allowed'));
  });

  it('throws a TypeError naming the header, never quoting its value, for a value with control characters', () => {
    for (const name of ['x-note', 'Authorization']) {
      let error: unknown;
      try {
        checkHeaders({ [name]: `${SECRET}\r\nx-evil: 1` });
      } catch (thrown) {
        error = thrown;
      }
      expect(error).toEqual(new TypeError(`Invalid value for header "${name}": it contains characters not allowed in a header (CR, LF or another control character)`));
      expect((error as Error).message).not.toContain('s3cret');
    }
  });

  it('throws a TypeError for a value that is not a string, naming its type (and String() for a number)', () => {
    const check = (value: unknown) => () => checkHeaders({ 'x-v': value as string });
    expect(check(42)).toThrow(new TypeError('Invalid value for header "x-v": it must be a string, got number (pass String(value))'));
    expect(check(null)).toThrow(new TypeError('Invalid value for header "x-v": it must be a string, got null'));
    expect(check(undefined)).toThrow(new TypeError('Invalid value for header "x-v": it must be a string, got undefined'));
    expect(check({})).toThrow(new TypeError('Invalid value for header "x-v": it must be a string, got object'));
  });
});
