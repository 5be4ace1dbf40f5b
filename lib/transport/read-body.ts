import { HttpError } from '../errors/http-error.js';
import { redactUrl } from '../util/redact-url.js';
import type { ApiRequest } from './api-request.js';
import { isSuccessStatus } from './is-success-status.js';

/**
 * Reads a fetch `Response` as `responseType`. Failing statuses are read leniently (JSON when it
 * parses, else text) so an `HttpError` can carry the server's explanation. A successful body that
 * is not the JSON it claims to be is an {@link HttpError} with the response's status.
 */
export async function readBody(response: Response, request: Pick<ApiRequest, 'method' | 'url' | 'responseType'>): Promise<unknown> {
  const { method, responseType } = request;
  if (method === 'HEAD' || response.status === 204 || response.status === 205 || response.status === 304) {
    // Not awaited: some fetch implementations (msw's, for HEAD with a body) never settle it.
    response.body?.cancel().catch(() => undefined);
    return null;
  }
  if (!isSuccessStatus(response.status)) return parseLeniently(await response.text());
  switch (responseType) {
    case 'text':
      return response.text();
    case 'blob':
      return response.blob();
    case 'arrayBuffer':
      return response.arrayBuffer();
    case 'json':
      return parseJsonBody(await response.text(), response, request);
  }
}

/** Whether `response` is a successful one with a body to read as JSON: the common case, read without {@link readBody}'s own promise. */
export function hasJsonBody(response: Response, request: Pick<ApiRequest, 'method' | 'responseType'>): boolean {
  const { status } = response;
  return request.responseType === 'json' && request.method !== 'HEAD' && isSuccessStatus(status) && status !== 204 && status !== 205;
}

/** `text` parsed as JSON; an empty body is `null`, and anything else that does not parse an {@link HttpError}. */
export function parseJsonBody(text: string, response: Response, request: Pick<ApiRequest, 'method' | 'url'>): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    // An empty body is no content, not bad JSON. Tested only on failure: `trim()` copies the body.
    if (isBlank(text)) return null;
    const { method, url } = request;
    throw new HttpError({
      method,
      url,
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
      body: text,
      responseUrl: response.url || url,
      cause,
      message: `${method} ${redactUrl(url)} answered ${response.status} but its body is not valid JSON`,
    });
  }
}

function isBlank(text: string): boolean {
  return !/\S/.test(text);
}

function parseLeniently(text: string): unknown {
  if (isBlank(text)) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
