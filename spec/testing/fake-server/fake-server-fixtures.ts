// Requests and readings the fake-server specs share (once the top of fake-authorization-server-attacks.spec.ts).
import { createFakeAuthorizationServer, type FakeAuthorizationServer, type FakeAuthorizationServerConfig } from '../../../lib/testing/fake-authorization-server.js';

export const ORIGIN = 'https://auth.example.test';

export interface TokenBody {
  access_token?: string;
  expires_in?: number;
  refresh_token?: string;
  error?: string;
  error_description?: string;
  received?: { form: Record<string, string>; authorization?: string };
}

export function post(path: string, form: Record<string, string>, init: { headers?: Record<string, string>; signal?: AbortSignal } = {}) {
  return new Request(`${ORIGIN}${path}`, { method: 'POST', body: new URLSearchParams(form), ...init });
}

export function refreshRequest(refreshToken: string, headers?: Record<string, string>): Request {
  return post('/oauth/token', { grant_type: 'refresh_token', refresh_token: refreshToken }, { headers });
}

export function refreshRequestWith(refreshToken: string, signal: AbortSignal): Request {
  return post('/oauth/token', { grant_type: 'refresh_token', refresh_token: refreshToken }, { signal });
}

export async function refresh(server: FakeAuthorizationServer, refreshToken: string) {
  const response = await server.handle(refreshRequest(refreshToken));
  return { response, body: (await response.json()) as TokenBody };
}

export function revoke(server: FakeAuthorizationServer, form: Record<string, string>, headers?: Record<string, string>) {
  return server.handle(post('/oauth/revoke', form, { headers }));
}

export function apiStatus(server: FakeAuthorizationServer, accessToken: string | undefined): Promise<number> {
  const headers = accessToken ? { Authorization: `Bearer ${accessToken}` } : undefined;
  return server.handle(new Request(`${ORIGIN}/api/me`, { headers })).then((response) => response.status);
}

export function claims(accessToken: string | undefined): { exp: number; iat: number } {
  return JSON.parse(Buffer.from(accessToken?.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp: number; iat: number };
}

export function signedIn(config?: FakeAuthorizationServerConfig) {
  const server = createFakeAuthorizationServer(config);
  return { server, ...server.signIn() };
}
