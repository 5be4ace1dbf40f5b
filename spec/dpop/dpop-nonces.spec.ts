import { describe, expect, it } from 'vitest';
import { createDpopNonces } from '../../lib/dpop/dpop-nonces.js';

const nonceHeader = (nonce: string) => new Headers({ 'DPoP-Nonce': nonce });

describe('createDpopNonces', () => {
  it('knows no nonce at first, then the latest the server sent, for its origin', () => {
    const nonces = createDpopNonces();
    expect(nonces.nonceFor('authorization', 'https://as.example.com/token')).toBeUndefined();

    expect(nonces.learn('authorization', 'https://as.example.com/token', nonceHeader('n1'))).toBe('n1');
    expect(nonces.nonceFor('authorization', 'https://as.example.com/token')).toBe('n1');
    // Per origin, not per path: the revocation endpoint of the same server gets it too.
    expect(nonces.nonceFor('authorization', new URL('https://as.example.com/revoke?x=1'))).toBe('n1');
    nonces.learn('authorization', 'https://as.example.com/token', nonceHeader('n2'));
    expect(nonces.nonceFor('authorization', 'https://as.example.com/token')).toBe('n2');
  });

  it('keeps the authorization server and each resource server apart, on one origin too', () => {
    const nonces = createDpopNonces();
    nonces.learn('authorization', 'https://example.com/oauth/token', nonceHeader('as'));
    nonces.learn('resource', 'https://example.com/api/orders', nonceHeader('rs'));
    nonces.learn('resource', 'https://other.example.com/api', nonceHeader('rs2'));

    expect(nonces.nonceFor('authorization', 'https://example.com/oauth/token')).toBe('as');
    expect(nonces.nonceFor('resource', 'https://example.com/anything')).toBe('rs');
    expect(nonces.nonceFor('resource', 'https://other.example.com/')).toBe('rs2');
    expect(nonces.nonceFor('resource', 'https://example.com:8443/')).toBeUndefined();
  });

  it('keeps the last nonce when a response carries none, and ignores a malformed one', () => {
    const nonces = createDpopNonces();
    const url = 'https://api.example.com/';
    nonces.learn('resource', url, nonceHeader('good'));
    expect(nonces.learn('resource', url, new Headers())).toBeUndefined();
    expect(nonces.learn('resource', url, { get: () => 'has space' })).toBeUndefined();
    expect(nonces.learn('resource', url, { get: () => 'quote"' })).toBeUndefined();
    expect(nonces.learn('resource', url, { get: () => 'x'.repeat(2000) })).toBeUndefined();
    expect(nonces.nonceFor('resource', url)).toBe('good');
  });

  it('forgets every nonce on clear', () => {
    const nonces = createDpopNonces();
    nonces.learn('resource', 'https://api.example.com/', nonceHeader('n'));
    nonces.clear();
    expect(nonces.nonceFor('resource', 'https://api.example.com/')).toBeUndefined();
  });

  it('refuses a relative URL or an unknown server kind with a TypeError', () => {
    const nonces = createDpopNonces();
    expect(() => nonces.nonceFor('resource', '/api')).toThrow(/absolute URL/);
    expect(() => nonces.learn('token' as never, 'https://a.example/', new Headers())).toThrow(/'authorization' or 'resource'/);
  });
});
