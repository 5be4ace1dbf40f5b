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
  const { method, url, responseType } = request;
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
    case 'json': {
      const text = await response.text();
      if (text.trim() === '') return null;
      try {
        return JSON.parse(text) as unknown;
      } catch (cause) {
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
  }
}

function parseLeniently(text: string): unknown {
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
