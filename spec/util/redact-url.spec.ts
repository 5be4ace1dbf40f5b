import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../lib/util/redact-url.js';

describe('redactUrl', () => {
  it('leaves a URL without credentials as it is', () => {
    expect(redactUrl('https://api.example.test/v1/users?page=2#top')).toBe('https://api.example.test/v1/users?page=2#top');
  });

  it('replaces userinfo with ***', () => {
    expect(redactUrl('https://ada:s3cret@api.example.test/x')).toBe('https://***@api.example.test/x');
  });

  it('replaces the values of credential-like query parameters, whatever their case, and keeps the others', () => {
    const redacted = redactUrl('https://api.example.test/cb?code=c0de&state=s&Access_Token=t0k&sig=5ig&page=1');
    expect(redacted).toBe('https://api.example.test/cb?code=***&state=s&Access_Token=***&sig=***&page=1');
  });

  it('replaces the values of names ending in one of them after _ or -, and not of names that merely contain one', () => {
    const redacted = redactUrl('https://api.example.test/x?api_token=t&auth-code=c&X-Api-Key=k&design=d&keyword=w&tokens=n');
    expect(redacted).toBe('https://api.example.test/x?api_token=***&auth-code=***&X-Api-Key=***&design=d&keyword=w&tokens=n');
  });

  it('redacts the same names in a string that is no URL', () => {
    const redacted = redactUrl('/relative?api_token=t0k&client_secret=5ecret&x=1&keyword=w#code=c');
    expect(redacted).toBe('/relative?api_token=***&client_secret=***&x=1&keyword=w#code=c');
  });
});
