import { describe, expect, it } from 'vitest';
import { refuseUrlCredentials } from '../../lib/util/url-credentials.js';

describe('refuseUrlCredentials', () => {
  it('accepts a URL without userinfo', () => {
    expect(() => refuseUrlCredentials(new URL('https://api.example.test/v1?user=ada'), 'baseUrl')).not.toThrow();
  });

  it('throws a TypeError naming the option, never quoting the credentials', () => {
    for (const url of ['https://ada:s3cret@api.example.test/', 'https://s3cret@api.example.test/', 'https://:s3cret@api.example.test/']) {
      const check = () => refuseUrlCredentials(new URL(url), 'baseUrl');
      expect(check).toThrow(new TypeError('baseUrl must not contain credentials (user:password@): send them in a header instead'));
    }
  });

  it('says where the credentials belong when the caller says so', () => {
    const check = () => refuseUrlCredentials(new URL('https://ada:s3cret@auth.example.test/token'), 'tokenUrl', 'pass clientId and clientSecret');
    expect(check).toThrow(new TypeError('tokenUrl must not contain credentials (user:password@): pass clientId and clientSecret instead'));
  });
});
