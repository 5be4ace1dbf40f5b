import { describe, expect, it } from 'vitest';
import { isTokenRejection } from '../../lib/auth/authorize.js';
import { isNonceChallenge, isProofRefusal } from '../../lib/dpop/nonce-challenge.js';
import { HttpError } from '../../lib/errors/request-error.js';

const answer = (status: number, wwwAuthenticate?: string, oauthError?: string) => ({
  status,
  headers: new Headers(wwwAuthenticate === undefined ? {} : { 'www-authenticate': wwwAuthenticate }),
  oauthError,
});

describe('isNonceChallenge', () => {
  it("recognises a token endpoint's 400 use_dpop_nonce (RFC 9449 §8)", () => {
    expect(isNonceChallenge(answer(400, undefined, 'use_dpop_nonce'))).toBe(true);
    expect(isNonceChallenge(answer(400, undefined, 'invalid_grant'))).toBe(false);
    expect(isNonceChallenge(answer(400, undefined, 'invalid_dpop_proof'))).toBe(false);
    expect(isNonceChallenge(answer(400))).toBe(false);
  });

  it.each([
    'DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"',
    'DPoP algs="ES256 PS256", error="use_dpop_nonce"',
    'dpop ERROR=use_dpop_nonce',
    'Bearer realm="api", DPoP error="use_dpop_nonce"',
    'Basic realm="x, y", DPoP  error = "use_dpop_nonce"',
  ])("recognises a resource server's 401 with %s (RFC 9449 §9)", (header) => {
    expect(isNonceChallenge(answer(401, header))).toBe(true);
  });

  it.each([
    'DPoP error="invalid_token"',
    'DPoP error="invalid_dpop_proof"',
    'Bearer error="use_dpop_nonce"',
    'DPoP realm="use_dpop_nonce"',
    'Bearer realm="DPoP error=use_dpop_nonce"',
    'DPoP',
    '',
  ])('does not take %j for one', (header) => {
    expect(isNonceChallenge(answer(401, header))).toBe(false);
  });

  it('is never a 401 without WWW-Authenticate, a 403 or a success', () => {
    expect(isNonceChallenge(answer(401))).toBe(false);
    expect(isNonceChallenge(answer(403, 'DPoP error="use_dpop_nonce"'))).toBe(false);
    expect(isNonceChallenge(answer(200, 'DPoP error="use_dpop_nonce"', 'use_dpop_nonce'))).toBe(false);
    expect(isNonceChallenge(answer(401, 'Bearer error="invalid_token"', 'use_dpop_nonce'))).toBe(false);
  });

  it('reads a Fetch Response as it is', () => {
    expect(isNonceChallenge(new Response(null, { status: 401, headers: { 'www-authenticate': 'DPoP error="use_dpop_nonce"', 'dpop-nonce': 'n' } }))).toBe(true);
  });

  it('agrees with isTokenRejection: a nonce challenge never starts a refresh (rule 14)', () => {
    const header = 'DPoP error="use_dpop_nonce", algs="ES256"';
    const error = new HttpError({ status: 401, statusText: 'Unauthorized', method: 'GET', url: 'https://api.example.com/', headers: new Headers({ 'www-authenticate': header }), body: null });
    expect(isNonceChallenge(answer(401, header))).toBe(true);
    expect(isTokenRejection(error)).toBe(false);
  });
});

describe('isProofRefusal (issue 23: the server refused the proof itself)', () => {
  it("recognises a token endpoint's 400 invalid_dpop_proof, and nothing else of it (RFC 9449 §5)", () => {
    expect(isProofRefusal(answer(400, undefined, 'invalid_dpop_proof'))).toBe(true);
    for (const other of ['use_dpop_nonce', 'invalid_grant', undefined]) expect(isProofRefusal(answer(400, undefined, other))).toBe(false);
  });

  it.each(['DPoP error="invalid_dpop_proof"', 'Bearer realm="api", DPoP algs="ES256", error="invalid_dpop_proof", error_description="iat"', 'dpop ERROR=invalid_dpop_proof'])(
    "recognises a resource server's 401 with %s (RFC 9449 §7.1)",
    (header) => expect(isProofRefusal(answer(401, header))).toBe(true),
  );

  it.each(['DPoP error="use_dpop_nonce"', 'Bearer error="invalid_dpop_proof"', 'DPoP error="invalid_token"', 'Bearer realm="DPoP error=invalid_dpop_proof"', ''])('does not take %j for one', (header) => {
    expect(isProofRefusal(answer(401, header))).toBe(false);
  });

  it('is never a 403 or a success, and agrees with isTokenRejection: no refresh for it', () => {
    expect(isProofRefusal(answer(403, 'DPoP error="invalid_dpop_proof"'))).toBe(false);
    expect(isProofRefusal(answer(200, 'DPoP error="invalid_dpop_proof"', 'invalid_dpop_proof'))).toBe(false);
    const header = 'Bearer error="invalid_token", DPoP error="invalid_dpop_proof"';
    const error = new HttpError({ status: 401, method: 'GET', url: 'https://api.example.com/', headers: new Headers({ 'www-authenticate': header }) });
    expect(isProofRefusal(answer(401, header))).toBe(true);
    expect(isTokenRejection(error)).toBe(false);
  });
});
