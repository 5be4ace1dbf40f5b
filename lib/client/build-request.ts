import type { HttpRequest, ResponseType, RetryOption } from './http-request.js';
import type { ParamValue, RequestOptions } from './request-options.js';

/** What the client adds to every request. */
export interface RequestDefaults {
  readonly baseUrl: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeout: number | false;
  readonly retry: RetryOption;
}

const METHOD = /^[A-Za-z]+$/;

/**
 * Turns a call's arguments into an {@link HttpRequest}: joins the URL onto `baseUrl` (a path
 * keeps the base's path: `https://api.test/v1` + `/users` is `https://api.test/v1/users`),
 * appends `params`, lower-cases header names and serialises the body. Throws a TypeError on
 * input it cannot send.
 */
export function buildRequest(defaults: RequestDefaults, method: string, url: string, body: unknown, options: RequestOptions): HttpRequest {
  if (typeof method !== 'string' || !METHOD.test(method)) throw new TypeError(`Invalid HTTP method: ${String(method)}`);
  if (typeof url !== 'string') throw new TypeError(`The URL must be a string, got ${typeof url}`);
  const target = resolveUrl(defaults.baseUrl, url);
  appendParams(target, options.params);
  const headers: Record<string, string> = {};
  for (const source of [defaults.headers, options.headers ?? {}]) {
    for (const [name, value] of Object.entries(source)) headers[name.toLowerCase()] = value;
  }
  return {
    method: method.toUpperCase(),
    url: target.toString(),
    headers,
    body: serialiseBody(body, headers),
    responseType: checkResponseType(options.responseType ?? 'json'),
    timeout: options.timeout ?? defaults.timeout,
    retry: options.retry ?? defaults.retry,
    auth: options.auth ?? true,
    idempotent: options.idempotent ?? false,
  };
}

function resolveUrl(baseUrl: string, url: string): URL {
  if (/^[a-z][a-z\d+.-]*:/i.test(url)) return new URL(url);
  const base = baseUrl.replace(/\/+$/, '');
  if (url === '' || url.startsWith('?') || url.startsWith('#')) return new URL(base + url);
  return new URL(`${base}/${url.replace(/^\/+/, '')}`);
}

function appendParams(target: URL, params: RequestOptions['params']): void {
  if (!params) return;
  const entries: Iterable<[string, ParamValue]> = params instanceof URLSearchParams ? params.entries() : Object.entries(params);
  for (const [key, value] of entries) {
    if (value === null || value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) target.searchParams.append(key, String(item));
  }
}

function serialiseBody(body: unknown, headers: Record<string, string>): BodyInit | null {
  if (body === undefined || body === null) return null;
  if (
    typeof body === 'string' ||
    body instanceof URLSearchParams ||
    body instanceof FormData ||
    body instanceof Blob ||
    body instanceof ArrayBuffer ||
    ArrayBuffer.isView(body)
  ) {
    return body as BodyInit;
  }
  if (body instanceof ReadableStream) {
    throw new TypeError('Streaming bodies are not supported: a request may be sent again after a 401 or a transient error');
  }
  if (body instanceof Map || body instanceof Set) {
    throw new TypeError('A Map or Set body would be sent as {}: convert it to an object or array first');
  }
  if (typeof body === 'function' || typeof body === 'symbol' || typeof body === 'bigint') {
    throw new TypeError(`Cannot send a ${typeof body} as a request body`);
  }
  headers['content-type'] ??= 'application/json';
  return JSON.stringify(body);
}

function checkResponseType(type: ResponseType): ResponseType {
  if (type === 'json' || type === 'text' || type === 'blob' || type === 'arrayBuffer') return type;
  throw new TypeError(`Invalid responseType: ${String(type)}`);
}
