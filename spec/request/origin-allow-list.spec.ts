import { describe, expect, it } from 'vitest';
import { createOriginAllowList, originOf } from '../../lib/request/origin-allow-list.js';

describe('originOf', () => {
  it('is the origin of an absolute http(s) URL, or of one resolved against base', () => {
    expect(originOf('https://api.test:8443/v1/x?y=1', 'baseUrl')).toBe('https://api.test:8443');
    expect(originOf('/v1', 'allowedOrigins[0]', 'http://api.test')).toBe('http://api.test');
  });

  it('throws a TypeError naming what it checks, the URL quoted redacted', () => {
    expect(() => originOf('ftp://api.test', 'baseUrl')).toThrow(new TypeError('baseUrl must be an absolute http or https URL, got "ftp://api.test/"'));
    expect(() => originOf('not a url', 'baseUrl')).toThrow(TypeError);
    let message = '';
    try {
      originOf('ws://ada:secret@api.test/', 'allowedOrigins[1]');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^allowedOrigins\[1\] must be/);
    expect(message).not.toContain('secret');
  });
});

describe('createOriginAllowList (rule 9)', () => {
  const list = createOriginAllowList(['https://api.test', 'http://localhost:8080']);

  it('allows a URL on an allowed origin, and no other', () => {
    expect(list.allows('https://api.test/v1/orders')).toBe(true);
    expect(list.allows('https://api.test')).toBe(true);
    expect(list.allows('http://localhost:8080/x')).toBe(true);
    expect(list.allows('http://api.test/v1')).toBe(false);
    expect(list.allows('https://api.test.evil.example/v1')).toBe(false);
    expect(list.allows('https://api.test:444/v1')).toBe(false);
    expect(list.allows('http://localhost:8081/x')).toBe(false);
  });

  it('allows no malformed URL', () => {
    expect(list.allows('not a url')).toBe(false);
    expect(list.allows('')).toBe(false);
  });
});
