import { describe, expect, it } from 'vitest';
import { CLOCK_SKEW_LIMIT_SECONDS, DpopProofError, refusedProof, refusedResourceProof, refusedTokenAnswer } from '../../lib/dpop/proof-refusal.js';
import { HttpError } from '../../lib/errors/request-error.js';
import { TokenRefreshError } from '../../lib/errors/token-refresh-error.js';
import type { ApiRequest, ApiResponse } from '../../lib/transport/api-request.js';

/*
 * Issue 23: what a server's refusal of a DPoP proof becomes (docs/dpop.md, "When the server
 * refuses a proof"): a configuration error naming the cause, never a token rejection.
 */

const NOW = Date.parse('2026-12-07T12:00:00Z');
const dated = (offsetSeconds: number, more: Record<string, string> = {}) => new Headers({ date: new Date(NOW - offsetSeconds * 1000).toUTCString(), ...more });
const refusal = (headers: Headers, status = 400) => ({ status, headers, oauthError: status === 400 ? 'invalid_dpop_proof' : undefined });
const SERVER = 'The token endpoint https://auth.example.test/token';

describe('refusedProof', () => {
  it.each([
    [600, 'ahead of'],
    [-600, 'behind'],
    [CLOCK_SKEW_LIMIT_SECONDS + 1, 'ahead of'],
  ])('blames the clock when the Date of the answer is %i s from the proof clock', (offset, word) => {
    const error = refusedProof(refusal(dated(offset)), SERVER, false, NOW, []);
    expect(error).toBeInstanceOf(DpopProofError);
    expect(error).toMatchObject({ reason: 'clock-skew', status: 400, clockSkew: offset });
    expect(error!.message).toContain(`this clock is ${Math.abs(offset)} s ${word} the server's`);
    expect(error!.message).toContain(SERVER);
  });

  it('calls it a configuration problem within the limit, or without a Date', () => {
    expect(refusedProof(refusal(dated(CLOCK_SKEW_LIMIT_SECONDS)), SERVER, false, NOW, [])).toMatchObject({ reason: 'invalid-proof', clockSkew: CLOCK_SKEW_LIMIT_SECONDS });
    expect(refusedProof(refusal(new Headers()), SERVER, false, NOW, [])).toMatchObject({ reason: 'invalid-proof', clockSkew: undefined });
    expect(refusedProof(refusal(new Headers({ date: 'yesterday' })), SERVER, false, NOW, [])).toMatchObject({ reason: 'invalid-proof', clockSkew: undefined });
  });

  it("recognises a resource server's 401 refusal (its WWW-Authenticate)", () => {
    const headers = dated(-900, { 'www-authenticate': 'DPoP error="invalid_dpop_proof"' });
    expect(refusedProof({ status: 401, headers }, 'The resource server', false, NOW, [])).toMatchObject({ reason: 'clock-skew', status: 401, clockSkew: -900 });
  });

  it('makes a nonce challenge to a retried attempt the error nonce-repeated, and a first one none', () => {
    const challenge = { status: 400, headers: new Headers({ 'dpop-nonce': 'n-2' }), oauthError: 'use_dpop_nonce' };
    expect(refusedProof(challenge, SERVER, false, NOW, [])).toBeUndefined();
    const error = refusedProof(challenge, SERVER, true, NOW, []);
    expect(error).toMatchObject({ reason: 'nonce-repeated', status: 400 });
    expect(error!.message).toMatch(/twice in a row \(use_dpop_nonce\).*not sent a third time/);
  });

  it('is undefined for every other answer', () => {
    for (const answer of [
      { status: 400, headers: new Headers(), oauthError: 'invalid_grant' },
      { status: 401, headers: new Headers({ 'www-authenticate': 'DPoP error="invalid_token"' }) },
      { status: 200, headers: new Headers() },
    ]) {
      expect(refusedProof(answer, SERVER, true, NOW, [])).toBeUndefined();
    }
  });

  it("quotes the server's description, unless it echoes a secret or is no short printable text", () => {
    const said = (description: string) => refusedProof({ ...refusal(new Headers()), description }, SERVER, false, NOW, ['rt-secret-123'])!.message;
    expect(said('DPoP proof "htu" mismatch')).toContain(`("DPoP proof 'htu' mismatch")`);
    expect(said('refresh token rt-secret-123 is odd')).not.toContain('rt-secret-123');
    expect(said('x'.repeat(201))).not.toContain('xxxx');
    expect(said('line\nbreak')).not.toContain('line');
  });
});

const request = (form: Record<string, string>): ApiRequest => ({ method: 'POST', url: 'https://auth.example.test/token?key=k1', headers: {}, body: new URLSearchParams(form).toString(), responseType: 'text', timeout: false, retry: false, auth: false, idempotent: false });
const answered = (status: number, body: unknown, headers = new Headers()): ApiResponse<unknown> => ({ status, statusText: '', headers, body, url: 'https://auth.example.test/token' });
const grant = request({ grant_type: 'refresh_token', refresh_token: 'rt-secret-123', client_id: 'web' });

describe('refusedTokenAnswer', () => {
  it('turns a grant\'s invalid_dpop_proof into a non-transient TokenRefreshError (oauth-error) whose cause is the DpopProofError', () => {
    const error = refusedTokenAnswer(grant, answered(400, { error: 'invalid_dpop_proof', error_description: 'DPoP proof iat is not recent enough' }, dated(600)), false, NOW, false);
    expect(error).toBeInstanceOf(TokenRefreshError);
    expect(error).toMatchObject({ reason: 'oauth-error', oauthError: 'invalid_dpop_proof', transient: false });
    expect(error!.cause).toBeInstanceOf(DpopProofError);
    expect(error!.cause).toMatchObject({ reason: 'clock-skew', clockSkew: 600 });
    expect(error!.message).toContain('The token endpoint https://auth.example.test/token?key=***');
    expect(error!.message).toContain('("DPoP proof iat is not recent enough")');
    expect(JSON.stringify([error!.message, (error!.cause as Error).message])).not.toContain('rt-secret-123');
  });

  it('reads a body that is still text, and a second challenge to a retried grant', () => {
    const text = JSON.stringify({ error: 'use_dpop_nonce' });
    expect(refusedTokenAnswer(grant, answered(400, text), false, NOW, false)).toBeUndefined();
    expect(refusedTokenAnswer(grant, answered(400, text), true, NOW, false)).toMatchObject({ reason: 'oauth-error', oauthError: 'use_dpop_nonce', cause: { reason: 'nonce-repeated' } });
  });

  it('leaves every other answer to the grant: invalid_grant, a success, a body that is no JSON', () => {
    expect(refusedTokenAnswer(grant, answered(400, { error: 'invalid_grant' }), true, NOW, false)).toBeUndefined();
    expect(refusedTokenAnswer(grant, answered(200, '{"access_token":"a","token_type":"Bearer"}'), false, NOW, false)).toBeUndefined();
    expect(refusedTokenAnswer(grant, answered(400, '<html>'), false, NOW, false)).toBeUndefined();
  });

  it('leaves a revocation alone (no grant_type): its errors stay its own HttpError', () => {
    const revocation = request({ token: 'rt-secret-123', token_type_hint: 'refresh_token' });
    expect(refusedTokenAnswer(revocation, answered(400, { error: 'invalid_dpop_proof' }, dated(600)), false, NOW, true)).toBeUndefined();
  });

  it('with requireBound, discards a success whose token_type is not DPoP (RFC 9449 §5), and keeps a DPoP one', () => {
    for (const [body, named] of [
      ['{"access_token":"a","token_type":"Bearer"}', 'token_type Bearer'],
      ['{"access_token":"a"}', 'token_type missing'],
    ] as const) {
      const error = refusedTokenAnswer(grant, answered(200, body), false, NOW, true);
      expect(error).toMatchObject({ reason: 'invalid-response', transient: false });
      expect(error!.message).toContain(named);
      expect(error!.message).toContain('RFC 9449 §5');
    }
    expect(refusedTokenAnswer(grant, answered(200, '{"access_token":"a","token_type":"dpop"}'), false, NOW, true)).toBeUndefined();
  });
});

describe('refusedResourceProof', () => {
  const httpError = (challenge: string, headers: Record<string, string> = {}) =>
    new HttpError({ method: 'GET', url: 'https://api.example.test/orders', status: 401, headers: new Headers({ 'www-authenticate': challenge, ...headers }) });

  it("makes an adapter's 401 invalid_dpop_proof a DpopProofError naming the request, its cause the adapter's error", () => {
    const cause = httpError('DPoP error="invalid_dpop_proof"', { date: new Date(NOW - 600_000).toUTCString() });
    const error = refusedResourceProof(cause, 'GET', 'https://api.example.test/orders?access_token=at-secret-9', 'at-secret-9', false, NOW);
    expect(error).toMatchObject({ reason: 'clock-skew', status: 401, clockSkew: 600, cause });
    expect(error!.message).toContain('The resource server of GET https://api.example.test/orders?access_token=***');
    expect(error!.message).not.toContain('at-secret-9');
  });

  it("reads any error with status and headers.get the same way (Angular's HttpErrorResponse and its HttpHeaders are such)", () => {
    const values: Record<string, string> = { 'www-authenticate': 'DPoP error="use_dpop_nonce"', 'dpop-nonce': 'n-3' };
    const cause = { name: 'HttpErrorResponse', status: 401, headers: { get: (name: string) => values[name.toLowerCase()] ?? null } };
    expect(refusedResourceProof(cause, 'GET', 'https://api.example.test/orders', 'at', true, NOW)).toMatchObject({ reason: 'nonce-repeated', status: 401, cause });
    expect(refusedResourceProof(cause, 'GET', 'https://api.example.test/orders', 'at', false, NOW)).toBeUndefined();
  });

  it('is undefined for errors without status and headers, and for other 401s', () => {
    expect(refusedResourceProof(new Error('network'), 'GET', 'https://api.example.test/', 'at', true, NOW)).toBeUndefined();
    expect(refusedResourceProof(null, 'GET', 'https://api.example.test/', 'at', true, NOW)).toBeUndefined();
    expect(refusedResourceProof(httpError('DPoP error="invalid_token"'), 'GET', 'https://api.example.test/', 'at', true, NOW)).toBeUndefined();
  });
});
