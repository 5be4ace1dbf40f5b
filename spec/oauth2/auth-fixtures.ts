import { of } from 'rxjs';
import type { ApiRequest, ApiResponse } from '../../lib/transport/api-request.js';
import type { Transport } from '../../lib/transport/transport.js';

/** A form POST as endpointPoster builds it. */
export const formRequest = (fields: Record<string, string>, url = 'https://auth.example.test/token'): ApiRequest => ({
  method: 'POST',
  url,
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
  responseType: 'text',
  timeout: false,
  retry: false,
  auth: false,
  idempotent: false,
});

/** A transport that records what it was sent and answers `status` with `body` (or what it makes of the request). */
export function recordingTransport(status = 200, body: unknown = '{}'): { send: Transport; sent: ApiRequest[] } {
  const answer = typeof body === 'function' ? (body as (request: ApiRequest) => unknown) : () => body;
  const sent: ApiRequest[] = [];
  const send: Transport = (request) => {
    sent.push(request);
    const response: ApiResponse<unknown> = { status, statusText: '', headers: new Headers(), body: answer(request), url: request.url };
    return of(response);
  };
  return { send, sent };
}

export const formOf = (request: ApiRequest | undefined): Record<string, string> => Object.fromEntries(new URLSearchParams(String(request?.body)));
