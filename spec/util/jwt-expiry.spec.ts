import { describe, expect, it } from 'vitest';
import { jwtExpiry } from '../../lib/util/jwt-expiry.js';

const base64url = (json: unknown) => Buffer.from(JSON.stringify(json)).toString('base64url');
const jwt = (payload: unknown) => `${base64url({ alg: 'none' })}.${base64url(payload)}.signature`;

describe('jwtExpiry', () => {
  it('reads the exp claim, in seconds, as epoch milliseconds', () => {
    expect(jwtExpiry(jwt({ sub: 'ada', exp: 1_800_000_000 }))).toBe(1_800_000_000_000);
  });

  it('reads a payload whose base64url uses - and _', () => {
    // '?>>' encodes to 'Pz4-': a payload with such characters would not decode as plain base64.
    const token = jwt({ exp: 1_700_000_000, note: '?>>?>>~~' });
    expect(token.split('.')[1]).toMatch(/[-_]/);
    expect(jwtExpiry(token)).toBe(1_700_000_000_000);
  });

  it('is undefined for an opaque token, a payload that is no JSON, and an exp that is no finite number', () => {
    for (const token of ['opaque-token', 'a.b', 'a..c', 'a.b.c.d', 'a.!!!.c', `x.${base64url('plain')}.y`]) expect(jwtExpiry(token)).toBeUndefined();
    for (const exp of [undefined, '1800000000', null]) expect(jwtExpiry(jwt({ exp }))).toBeUndefined();
    expect(jwtExpiry(`x.${Buffer.from('{"exp":1e999}').toString('base64url')}.y`)).toBeUndefined();
  });
});
