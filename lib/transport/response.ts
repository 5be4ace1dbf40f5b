import { HttpError } from '../errors/request-error.js';
import { redactUrl } from '../util/redact-url.js';
import type { ApiRequest, ApiResponse } from './api-request.js';

/**
 * Reads a fetch `Response` as `responseType`. Failing statuses are read leniently (JSON when it
 * parses, else text) so an `HttpError` can carry the server's explanation. A successful body that
 * is not the JSON it claims to be is an {@link HttpError} with the response's status. With
 * `maxBytes`, the body is read chunk by chunk and a longer one (or a `Content-Length` above it) is
 * a {@link ResponseTooLargeError}: reading stops there and the rest is never downloaded.
 */
export async function readBody(response: Response, request: Pick<ApiRequest, 'method' | 'url' | 'responseType'>, maxBytes?: number): Promise<unknown> {
  const { method, responseType } = request;
  const { status } = response;
  if (method === 'HEAD' || status === 204 || status === 205 || status === 304) {
    // Not awaited: some fetch implementations (msw's, for HEAD with a body) never settle it.
    response.body?.cancel().catch(() => undefined);
    return null;
  }
  const success = isSuccessStatus(status);
  // With a cap, every body is read through it as bytes; without one, the platform reads it.
  const bytes = maxBytes === undefined ? undefined : await readBytesUpTo(response, maxBytes);
  if (success && responseType === 'blob') return bytes ? new Blob([bytes], { type: response.headers.get('content-type') ?? '' }) : response.blob();
  if (success && responseType === 'arrayBuffer') return bytes ? bytes.buffer : response.arrayBuffer();
  const text = bytes ? new TextDecoder().decode(bytes) : await response.text();
  if (!success) return parseLeniently(text);
  return responseType === 'json' ? parseJsonBody(text, response, request) : text;
}

/** A response body longer than the reader's limit; nothing past the limit was read. */
export class ResponseTooLargeError extends RangeError {
  override readonly name = 'ResponseTooLargeError';
  constructor(
    /** The limit, in bytes. */
    readonly limit: number,
    /** The status of the response whose body it is. */
    readonly status: number,
  ) {
    super(`The response body is larger than ${limit} bytes: reading stopped there`);
  }
}

// Chunk by chunk, so memory stays within the limit whatever the server sends; cancelling the
// reader closes the connection (undici), so the rest is not downloaded either.
async function readBytesUpTo(response: Response, limit: number): Promise<Uint8Array<ArrayBuffer>> {
  const { body } = response;
  if (Number(response.headers.get('content-length')) > limit) {
    body?.cancel().catch(() => undefined); // not awaited, as above
    throw new ResponseTooLargeError(limit, response.status);
  }
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let size = 0;
  if (body) {
    const reader = body.getReader();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      size += chunk.value.byteLength;
      if (size > limit) {
        reader.cancel().catch(() => undefined);
        break;
      }
      chunks.push(chunk.value);
    }
  } else {
    // A stand-in Response without a stream (a test double): its text is all there is already.
    const all = new TextEncoder().encode(await response.text());
    chunks.push(all);
    size = all.byteLength;
  }
  if (size > limit) throw new ResponseTooLargeError(limit, response.status);
  return new Uint8Array(await new Blob(chunks).arrayBuffer());
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
/**
 * The one 2xx decision of the library: whether a response status means success. The client,
 * the body reader and the OAuth2 endpoints all ask here.
 */
export function isSuccessStatus(status: number): boolean {
  return status >= 200 && status < 300;
}

/** Passes a successful response through; throws an {@link HttpError} for a failing status. */
export function checkStatus<T>(request: Pick<ApiRequest, 'method' | 'url'>, response: ApiResponse<T>): ApiResponse<T> {
  if (isSuccessStatus(response.status)) return response;
  throw new HttpError({
    method: request.method,
    url: request.url,
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
    body: response.body,
    responseUrl: response.url,
  });
}
