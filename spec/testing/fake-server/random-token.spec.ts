// lib/testing/fake-server/random-token.ts: the fake server's tokens, unguessable and in the
// alphabet of JWT segments.
import { describe, expect, it } from 'vitest';
import { base64url, encodeJson, randomToken } from '../../../lib/testing/fake-server/random-token.js';

describe('base64url', () => {
  it('encodes bytes as RFC 4648 §5 base64url, without padding', () => {
    for (const bytes of [[], [0], [251, 255], [0xfb, 0xff, 0xbf], Array.from({ length: 64 }, (_, i) => i * 4)]) {
      const data = Uint8Array.from(bytes);
      expect(base64url(data)).toBe(Buffer.from(data).toString('base64url'));
    }
    expect(base64url(Uint8Array.from([0xfb, 0xff]))).toBe('-_8');
  });
});

describe('encodeJson', () => {
  it('is a JWT segment that decodes to the value', () => {
    const claims = { sub: 'alice', exp: 1_700_000_000, name: 'Ålice ✓' };
    const segment = encodeJson(claims);
    expect(segment).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'))).toEqual(claims);
  });
});

describe('randomToken', () => {
  it('is `bytes` random bytes in base64url: 32 by default, never the same twice', () => {
    const tokens = Array.from({ length: 1_000 }, () => randomToken());
    expect(new Set(tokens).size).toBe(1_000);
    for (const token of tokens) {
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    }
    expect(Buffer.from(randomToken(16), 'base64url')).toHaveLength(16);
  });
});
