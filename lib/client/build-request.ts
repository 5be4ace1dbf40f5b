import { checkRetryOption } from '../retry/check-retry-config.js';
import type { RetryOption } from '../retry/retry-backoff-config.js';
import type { ApiRequest, ResponseType } from '../transport/api-request.js';
import { checkHeaders } from '../util/header-syntax.js';
import { refuseUrlCredentials } from '../util/url-credentials.js';
import type { ParamValue, RequestOptions } from './request-options.js';

/** What the client adds to every request. */
export interface RequestDefaults {
  readonly baseUrl: string;
  /** Plain paths already joined onto `baseUrl` (see {@link createPathJoins}). */
  readonly joins: PathJoins;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeout: number | false;
  readonly attemptTimeout: number | false;
  readonly retry: RetryOption;
}

const METHOD = /^[A-Za-z]+$/;
// TRACE echoes the request (Authorization included) back; CONNECT opens a tunnel; TRACK is IIS's TRACE.
const UNSUPPORTED = new Set(['TRACE', 'CONNECT', 'TRACK']);
const COMMON = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * Turns a call's arguments into an {@link ApiRequest}: joins the URL onto `baseUrl` (a path
 * keeps the base's path: `https://api.test/v1` + `/users` is `https://api.test/v1/users`),
 * appends `params`, lower-cases header names and serialises the body. Throws a TypeError on
 * input it cannot send (never retried): a malformed or unsupported method (TRACE, CONNECT,
 * TRACK), a header name or value HTTP does not allow (or a value that is not a string), a body
 * on GET or HEAD, credentials in the URL, a `retry` that is no {@link RetryOption} (a RangeError
 * for `maxRetries: 1.5` or a negative delay).
 */
export function buildRequest(defaults: RequestDefaults, method: string, url: string, body: unknown, options: RequestOptions): ApiRequest {
  const verb = checkMethod(method);
  if (typeof url !== 'string') throw new TypeError(`The URL must be a string, got ${typeof url}`);
  if ((verb === 'GET' || verb === 'HEAD') && body !== undefined && body !== null) throw new TypeError(`A ${verb} request cannot have a body`);
  const target = targetUrl(defaults, url, options.params);
  const headers: Record<string, string> = {};
  copyLowerCased(defaults.headers, headers);
  if (options.headers) copyLowerCased(options.headers, headers);
  checkHeaders(headers);
  return {
    method: verb,
    url: target,
    headers,
    body: serialiseBody(body, headers),
    responseType: checkResponseType(options.responseType ?? 'json'),
    timeout: options.timeout ?? defaults.timeout,
    attemptTimeout: options.attemptTimeout ?? defaults.attemptTimeout,
    // Checked here, not where it is merged: a POST that is not `idempotent` never merges it.
    retry: options.retry === undefined ? defaults.retry : checkRetryOption(options.retry, 'The request option `retry`'),
    auth: options.auth ?? true,
    idempotent: options.idempotent ?? false,
  };
}

function copyLowerCased(source: Readonly<Record<string, string>>, target: Record<string, string>): void {
  for (const name of Object.keys(source)) target[name.toLowerCase()] = source[name] as string;
}

function checkMethod(method: string): string {
  if (COMMON.has(method)) return method; // what the client's own shorthands pass
  if (typeof method !== 'string' || !METHOD.test(method)) throw new TypeError(`Invalid HTTP method: ${JSON.stringify(String(method))}`);
  const verb = method.toUpperCase();
  if (UNSUPPORTED.has(verb)) throw new TypeError(`Unsupported HTTP method: ${verb}`);
  return verb;
}

// A path of unreserved characters and slashes, without `.` or `..` segments: joined onto the
// base it is already what the URL parser would make of it, so no parse is needed per request.
const PLAIN_PATH = /^[\w\-~./]+$/;
const DOT_SEGMENT = /(?:^|\/)\.\.?(?:\/|$)/;
/** A client's joins of plain paths onto its base URL: a path seen before skips the tests and the join. */
export interface PathJoins {
  /** `baseUrl` parsed, with one trailing slash; `null` when it has a query or fragment. */
  readonly prefix: string | null;
  /** Up to 256 paths of up to 256 characters (an app calls a bounded set of endpoints), then it starts again. */
  readonly joined: Map<string, string>;
}

/** The {@link PathJoins} of a client whose base URL is `baseUrl` (absolute). */
export function createPathJoins(baseUrl: string): PathJoins {
  const href = baseUrl.includes('?') || baseUrl.includes('#') ? '' : new URL(`${baseUrl.replace(/\/+$/, '')}/`).href;
  return { prefix: href.endsWith('/') ? href : null, joined: new Map() };
}

function targetUrl(defaults: RequestDefaults, url: string, params: RequestOptions['params']): string {
  if (!params) {
    const { prefix, joined } = defaults.joins;
    const known = joined.get(url);
    if (known !== undefined) return known;
    if (prefix !== null && PLAIN_PATH.test(url) && !DOT_SEGMENT.test(url)) {
      const target = prefix + url.replace(/^\/+/, '');
      // Bounded in count and in size: a client that builds paths from ids starts again rather
      // than growing, and a path longer than an endpoint's is joined but not kept.
      if (url.length > 256) return target;
      if (joined.size >= 256) joined.clear();
      joined.set(url, target);
      return target;
    }
  }
  const target = resolveUrl(defaults.baseUrl, url);
  appendParams(target, params);
  return target.toString();
}

function resolveUrl(baseUrl: string, url: string): URL {
  let target: URL;
  if (/^[a-z][a-z\d+.-]*:/i.test(url)) target = new URL(url);
  else {
    const base = baseUrl.replace(/\/+$/, '');
    target = url === '' || url.startsWith('?') || url.startsWith('#') ? new URL(base + url) : new URL(`${base}/${url.replace(/^\/+/, '')}`);
  }
  refuseUrlCredentials(target, 'The request URL');
  return target;
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
