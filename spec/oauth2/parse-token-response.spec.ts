// lib/oauth2/endpoint-request.ts's parseTokenResponse: what a token response must hold, through the grant that
// reads it. Apart from endpoint-request.spec.ts because it runs behind msw, which would intercept that
// file's real sockets.
import { HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { TokenRefreshError } from '../../lib/errors/token-refresh-error.js';
import { parseTokenResponse } from '../../lib/oauth2/endpoint-request.js';
import { errorOf } from '../helpers/outcomes.js';
import { expectNoSecrets, grant, tokenEndpoint, useTokenServer } from './token-endpoint-fixtures.js';

useTokenServer();

describe('oauth2RefreshGrant', () => {
  describe('when the answer is not a valid token response', () => {
    it.each([
      ['an HTML page', () => HttpResponse.html('<html><body>Sign in</body></html>'), /not JSON.*text\/html/],
      ['a JSON array', () => HttpResponse.json([{ access_token: 'a2-secret' }]), /not an object/],
      ['no access_token', () => HttpResponse.json({ token_type: 'Bearer', refresh_token: 'r2-secret' }), /no access_token/],
      ['a numeric access_token', () => HttpResponse.json({ access_token: 12345 }), /access_token/],
      ['a numeric refresh_token', () => HttpResponse.json({ access_token: 'a2-secret', refresh_token: 67890 }), /refresh_token/],
      ['an expires_in of "abc"', () => HttpResponse.json({ access_token: 'a2-secret', expires_in: 'abc' }), /expires_in/],
    ])('errors for %s with a non-transient TokenRefreshError naming the problem', async (_name, answer, problem) => {
      tokenEndpoint(answer);

      const error = await errorOf(grant()('r1-old'));

      expect(error).toBeInstanceOf(TokenRefreshError);
      expect(error).toMatchObject({ transient: false });
      expect((error as Error).message).toMatch(problem);
      expectNoSecrets(error, ['r1-old', 'a2-secret', 'r2-secret', '12345', '67890']);
    });

    it('errors for an empty-string expires_in rather than reading it as 0 s (an always-expired token)', async () => {
      tokenEndpoint(() => HttpResponse.json({ access_token: 'a2', expires_in: '' }));

      const error = await errorOf(grant()('r1'));

      expect(error).toBeInstanceOf(TokenRefreshError);
      expect((error as Error).message).toMatch(/expires_in/);
    });
  });
});

describe('parseTokenResponse: token_type', () => {
  it.each([
    ['DPoP', { tokenType: 'DPoP' }],
    ['dpop', { tokenType: 'DPoP' }],
    ['Bearer', {}],
    ['bearer', {}],
    [undefined, {}],
    [42, {}],
    ['DPoP-ish', {}],
  ])('reads token_type %j as %j (RFC 9449 §5: DPoP, any case; anything else is Bearer, left out)', (tokenType, expected) => {
    const parsed = parseTokenResponse(JSON.stringify({ access_token: 'a2', token_type: tokenType, expires_in: 60 }), new Headers(), 1_000);
    expect(parsed).toEqual({ accessToken: 'a2', expiresAt: 61_000, ...expected });
  });
});

describe("parseTokenResponse: the session's token check, named as the server sent the field", () => {
  it.each([
    [{ access_token: 'a2 secret' }, 'access_token contains characters a token may not have (control characters, spaces or non-ASCII)'],
    [{ access_token: 'a2', refresh_token: 'r2\nsecret' }, 'refresh_token contains characters a token may not have (control characters, spaces or non-ASCII)'],
    [{ access_token: '' }, 'access_token must be a non-empty string when present, got an empty string'],
    [{ access_token: 'a2', refresh_token: 67890 }, 'refresh_token must be a non-empty string when present, got number'],
  ])('refuses %j, quoting no token', (body, problem) => {
    expect(parseTokenResponse(JSON.stringify(body), new Headers(), 1_000)).toBe(problem);
  });
});
