// The requests and readings the fake authorization server's specs share (once the top of fake-authorization-server.spec.ts).
import { afterEach, vi } from 'vitest';
import type { FakeAuthorizationServer } from '../../lib/testing/fake-authorization-server.js';

export const ORIGIN = 'https://auth.example.test';

export interface TokenRequestInit {
  form?: Record<string, string>;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export function tokenRequest(refreshToken: string | undefined, init: TokenRequestInit = {}): Request {
  const form = { grant_type: 'refresh_token', ...(refreshToken && { refresh_token: refreshToken }), ...init.form };
  return new Request(`${ORIGIN}/oauth/token`, {
    method: 'POST',
    body: new URLSearchParams(form),
    headers: init.headers,
    signal: init.signal,
  });
}

export function apiRequest(path: string, accessToken?: string, init: RequestInit = {}): Request {
  const headers = new Headers(init.headers);
  if (accessToken) headers.set('Authorization', `Bearer ${accessToken}`);
  return new Request(`${ORIGIN}${path}`, { ...init, headers });
}

export interface TokenBody {
  access_token?: string;
  token_type?: string;
  expires_in?: number;
  refresh_token?: string;
  error?: string;
  error_description?: string;
}

export async function refresh(server: FakeAuthorizationServer, refreshToken: string, init?: TokenRequestInit) {
  const response = await server.handle(tokenRequest(refreshToken, init));
  return { response, body: (await response.json()) as TokenBody };
}

export async function apiStatus(server: FakeAuthorizationServer, accessToken: string | undefined, path = '/api/me') {
  return (await server.handle(apiRequest(path, accessToken))).status;
}

export function decodeSegment(segment: string | undefined): Record<string, unknown> {
  return JSON.parse(Buffer.from(segment ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

export const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** After each test of the describe: real timers again, whatever fake timers the test set. */
export function realTimersAfterEach(): void {
  afterEach(() => {
    vi.useRealTimers();
  });
}
