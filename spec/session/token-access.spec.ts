// lib/session/token-access.ts: UNBOUND, the `dpop` of a session given none (rule 15). The
// session-level proof, requests and refreshes of DPoP-bound tokens without a binding, is in
// spec/session/one-key-per-session.spec.ts.
import { lastValueFrom, of } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { UNBOUND } from '../../lib/session/token-access.js';

const dpopBound = { accessToken: 'at-1', refreshToken: 'rt-1', tokenType: 'DPoP' as const };

describe('UNBOUND (the dpop of a session without one)', () => {
  it('calls for Bearer tokens and for none, and stamps nothing', async () => {
    expect(await lastValueFrom(UNBOUND.withKey({ accessToken: 'b', refreshToken: 'r' }, () => of('called')))).toBe('called');
    expect(await lastValueFrom(UNBOUND.withKey(null, () => Promise.resolve('called')))).toBe('called');
    expect(UNBOUND.stamp(dpopBound)).toBe(dpopBound);
  });

  it('refuses DPoP-bound tokens with a TypeError naming the option, calling nothing; sends no request', async () => {
    let called = 0;
    await expect(lastValueFrom(UNBOUND.withKey(dpopBound, () => (called++, of(1))))).rejects.toThrow(new TypeError('createTokenSession: DPoP-bound tokens need the `dpop` option'));
    await expect(lastValueFrom(UNBOUND.sendWithProof('GET', 'https://api.example.test/', 'at-1', () => (called++, of(1))))).rejects.toThrow(TypeError);
    expect(called).toBe(0);
  });
});
