// lib/testing/fake-server/responses.ts: the fake server's answers, as RFC 6749 and RFC 6750 shape them.
import { describe, expect, it } from 'vitest';
import { invalidTokenResponse, json, NO_STORE, oauthError } from '../../../lib/testing/fake-server/responses.js';

describe('json', () => {
  it('answers the status with the value as JSON, and any extra headers', async () => {
    const response = json(201, { id: 7 }, { 'X-Request-Id': 'r1' });
    expect(response.status).toBe(201);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('x-request-id')).toBe('r1');
    expect(await response.json()).toEqual({ id: 7 });
  });
});

describe('oauthError', () => {
  it('answers an RFC 6749 §5.2 error body that no cache keeps (§5.1)', async () => {
    const response = oauthError(400, 'invalid_grant', 'The refresh token was used already');
    expect(response.status).toBe(400);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('pragma')).toBe('no-cache');
    expect(await response.json()).toEqual({ error: 'invalid_grant', error_description: 'The refresh token was used already' });
  });

  it('adds the headers it is given, e.g. a challenge for failed client authentication', () => {
    const response = oauthError(401, 'invalid_client', 'Unknown client', { 'WWW-Authenticate': 'Basic realm="token"' });
    expect(response.headers.get('www-authenticate')).toBe('Basic realm="token"');
    expect(response.headers.get('cache-control')).toBe(NO_STORE['Cache-Control']);
  });
});

describe('invalidTokenResponse', () => {
  it('answers 401 with the RFC 6750 §3.1 invalid_token challenge, which the client reads as a token rejection', async () => {
    const response = invalidTokenResponse();
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect(await response.json()).toEqual({ error: 'invalid_token' });
  });
});
