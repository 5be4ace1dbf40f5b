import { describe, expect, it } from 'vitest';
import { API_RESOURCE, CLIENTS, clientAuthentication, dpopKey, dpopProof, provider, useOidcProvider, type ClientName } from './oidc-provider-fixtures.js';

// The set-up the DPoP and machine-session specs stand on (issues 23, 24): if it lies, they do.
describe('the oidc-provider fixture', () => {
  useOidcProvider();

  async function post(url: string, client: ClientName, fields: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
    const auth = await clientAuthentication(provider, client);
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth.headers },
      body: new URLSearchParams({ ...fields, ...auth.form }),
    });
    return { status: response.status, body: (await response.json().catch(() => ({}))) as Record<string, unknown> };
  }

  it.each(['public', 'basic', 'post', 'jwt'] as const)('signs a user in through the code flow with PKCE (%s client), and the API takes the token', async (client) => {
    const tokens = await provider.signIn({ client });

    expect(tokens.expiresIn).toBe(2);
    const answer = await fetch(`${provider.apiUrl}/me`, { headers: { authorization: `Bearer ${tokens.accessToken}` } });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ path: '/me', sub: 'alice' });
    expect(provider.calls({ grantType: 'authorization_code', clientId: CLIENTS[client].clientId, status: 200 })).toHaveLength(1);
  });

  it('rotates refresh tokens of a public client, and the API refuses an unknown token', async () => {
    const tokens = await provider.signIn();
    const first = await post(provider.tokenUrl, 'public', { grant_type: 'refresh_token', refresh_token: tokens.refreshToken });

    expect(first.status).toBe(200);
    expect(first.body.refresh_token).not.toBe(tokens.refreshToken);
    expect(await provider.isActive(tokens.refreshToken, 'RefreshToken')).toBe(false);
    expect((await fetch(`${provider.apiUrl}/x`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
  });

  it('issues client credentials tokens for the API resource, and counts the calls by grant and client', async () => {
    const before = provider.calls({ grantType: 'client_credentials' }).length;
    const answer = await post(provider.tokenUrl, 'basic', { grant_type: 'client_credentials', scope: 'api:read', resource: API_RESOURCE });

    expect(answer).toMatchObject({ status: 200, body: { token_type: 'Bearer', expires_in: 2, scope: 'api:read' } });
    expect(provider.calls({ grantType: 'client_credentials' })).toHaveLength(before + 1);
    expect(provider.tokenCalls.at(-1)).toMatchObject({ clientId: CLIENTS.basic.clientId, auth: 'basic', status: 200 });
  });

  it('disables a client: its next call fails with invalid_client', async () => {
    const { startOidcProvider } = await import('./oidc-provider-fixtures.js');
    const own = await startOidcProvider();
    try {
      await own.disableClient(CLIENTS.post.clientId);
      const auth = await clientAuthentication(own, 'post');
      const response = await fetch(own.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'client_credentials', ...auth.form }) });
      expect(response.status).toBe(401);
      expect(own.tokenCalls.at(-1)).toMatchObject({ clientId: CLIENTS.post.clientId, error: 'invalid_client' });
    } finally {
      await own.close();
    }
  });

  it.each([false, true])('binds tokens to a DPoP key (nonces required: %s): a refresh without the proof is refused, one with it rotates', async (nonces) => {
    provider.settings.dpopNonces = nonces;
    try {
      const key = await dpopKey();
      const tokens = await provider.signIn({ dpop: key });
      expect(tokens.tokenType).toBe('DPoP');
      expect(provider.calls({ grantType: 'authorization_code' }).at(-1)).toMatchObject({ status: 200, dpop: true });
      if (nonces) expect(provider.calls({ grantType: 'authorization_code' }).at(-2)).toMatchObject({ status: 400, error: 'use_dpop_nonce', dpop: true });

      const refresh = (headers: Record<string, string>) =>
        fetch(provider.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refreshToken, client_id: CLIENTS.public.clientId }) });
      const first = await refresh({ dpop: await dpopProof(key, 'POST', provider.tokenUrl) });
      const nonce = first.headers.get('dpop-nonce') ?? undefined;
      const answer = nonces ? await refresh({ dpop: await dpopProof(key, 'POST', provider.tokenUrl, nonce) }) : first;

      if (nonces) expect(await first.json()).toMatchObject({ error: 'use_dpop_nonce' });
      expect(answer.status).toBe(200);
      expect(await answer.json()).toMatchObject({ token_type: 'DPoP', refresh_token: expect.any(String) });
    } finally {
      provider.settings.dpopNonces = false;
    }
  });
});
